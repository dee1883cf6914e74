import type { Core } from '../../core/core.js';
import type { PathDefinition } from '../../core/path-table.js';
import { VaultError } from '../../core/vault-error.js';
import { FERRY_VERSION } from '../../core/version.js';
import { flatResponse } from './sys-seal-paths.js';

/** Vault's HA status paths: leader and health (unauthenticated), ha-status, and step-down (sudo). */
export function haPaths(core: Core): PathDefinition[] {
  return [
    {
      pattern: 'leader',
      operations: {
        read: async () => {
          const leader = await core.ha.leader();
          return flatResponse({
            ha_enabled: core.ha.isEnabled,
            is_self: leader.isSelf,
            active_time: leader.activeTime,
            leader_address: leader.leaderAddress,
            leader_cluster_address: leader.leaderClusterAddress,
            performance_standby: false,
            performance_standby_last_remote_wal: 0,
          });
        },
      },
    },
    {
      pattern: 'health',
      operations: { read: async ({ req }) => healthResponse(core, req.query) },
    },
    {
      pattern: 'ha-status',
      operations: {
        read: async () => {
          const nodes = core.ha.isEnabled ? await core.ha.nodes() : [];
          return {
            data: {
              nodes: nodes.map((n) => ({
                hostname: n.hostname,
                api_address: n.apiAddress,
                cluster_address: n.clusterAddress,
                active_node: n.isActive,
                last_echo: n.lastEcho,
                version: n.version,
                upgrade_version: n.version,
                redundancy_zone: '',
              })),
            },
          };
        },
      },
    },
    {
      pattern: 'step-down',
      operations: {
        update: async () => {
          await core.ha.stepDown();
          return undefined;
        },
      },
    },
  ];
}

const HEALTH_CODE_PARAMS = ['activecode', 'standbycode', 'sealedcode', 'uninitcode', 'drsecondarycode', 'performancestandbycode'] as const;
const HEALTH_BOOL_PARAMS = ['standbyok', 'perfstandbyok'] as const;

/** Go's `strconv.ParseBool`, which Vault uses for `standbyok` and `perfstandbyok`. */
function parseBool(name: string, value: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw new VaultError('invalid_request', `invalid value for "${name}"`);
}

async function healthResponse(core: Core, query: Readonly<Record<string, string>>) {
  const codes: Record<string, number> = {
    activecode: 200,
    standbycode: 429,
    sealedcode: 503,
    uninitcode: 501,
    drsecondarycode: 472,
    performancestandbycode: 473,
  };
  for (const name of HEALTH_CODE_PARAMS) {
    const value = query[name];
    if (value === undefined) continue;
    const code = Number(value);
    if (!Number.isInteger(code) || code < 100 || code > 999) throw new VaultError('invalid_request', `invalid value for "${name}"`);
    codes[name] = code;
  }
  const flags: Record<string, boolean> = {};
  for (const name of HEALTH_BOOL_PARAMS) {
    const value = query[name];
    // As in Vault's early releases, the bare parameter (`?standbyok`) means true.
    flags[name] = value === undefined ? false : value === '' ? true : parseBool(name, value);
  }
  const initialized = await core.barrier.isInitialized();
  const sealed = core.isSealed;
  const standby = core.isStandby;
  let status = codes.activecode as number;
  if (!initialized) status = codes.uninitcode as number;
  else if (sealed) status = codes.sealedcode as number;
  else if (core.replication.isDrSecondary?.() === true) status = codes.drsecondarycode as number;
  else if (standby && !flags.standbyok) status = codes.standbycode as number;
  const data: Record<string, unknown> = {
    initialized,
    sealed,
    standby,
    performance_standby: false,
    replication_performance_mode: core.replication.performanceMode?.() ?? core.replication.mode(),
    replication_dr_mode: core.replication.drMode?.() ?? 'disabled',
    server_time_utc: Math.floor(Date.now() / 1000),
    version: FERRY_VERSION,
    cluster_name: core.options.clusterName,
  };
  if (!sealed && initialized) {
    // A standby may briefly hold an older keyring than storage (it follows within a tick): no id then, never an error.
    const clusterId = await core.clusterId().catch(() => undefined);
    if (clusterId !== undefined) data.cluster_id = clusterId;
  }
  return flatResponse(data, status);
}
