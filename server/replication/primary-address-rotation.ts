/**
 * Which cluster address of its primary a secondary dials next. The candidates are the address it
 * was given (the activation token's, possibly a load balancer) and then every node of the primary
 * cluster the primary's active node named (`known_primary_cluster_addrs`). Only the active node
 * streams; a standby's cluster port refuses the connection, so on a failure the secondary moves on
 * to the next candidate, and after the last one starts again from the first.
 */
export class PrimaryAddressRotation {
  private candidates: string[];
  private position = 0;

  constructor(configured: string, known: readonly string[] = []) {
    this.candidates = candidatesOf(configured, known);
  }

  /** The address to dial now. */
  get current(): string {
    return this.candidates[this.position] ?? '';
  }

  /** Every address this secondary may dial, in the order it tries them. */
  get all(): readonly string[] {
    return this.candidates;
  }

  /**
   * The dial of `current` failed: move to the next candidate. True when that wrapped around to the
   * first one, i.e. every candidate failed once in a row (the caller backs off then).
   */
  advance(): boolean {
    this.position = (this.position + 1) % Math.max(1, this.candidates.length);
    return this.position === 0;
  }

  /** The primary named its nodes anew; the current address stays current while it is a candidate. */
  update(configured: string, known: readonly string[]): void {
    const current = this.current;
    this.candidates = candidatesOf(configured, known);
    this.position = Math.max(0, this.candidates.indexOf(current));
  }
}

function candidatesOf(configured: string, known: readonly string[]): string[] {
  return [...new Set([configured, ...known].filter((addr) => addr !== ''))];
}
