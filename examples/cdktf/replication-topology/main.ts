/**
 * CDKTF app: a Ferry primary with two performance secondaries, `east` and `west` (west never receives the
 * `secret-eu/` mount: a paths filter), and a DR secondary `dr`.
 * Synthesize with `npx tsx main.ts` (or `npx cdktf synth`); the stack lands in
 * cdktf.out/stacks/ferry-replication/cdk.tf.json (CDKTF_OUTDIR moves cdktf.out).
 */
import { App } from 'cdktf';
import { ReplicationTopologyStack } from './replication-topology-stack';

const app = new App();
new ReplicationTopologyStack(app, 'ferry-replication', {
  secondaries: ['east', 'west'],
  pathsFilters: { west: { mode: 'deny', paths: ['secret-eu/'] } },
  drSecondaries: ['dr'],
});
app.synth();
