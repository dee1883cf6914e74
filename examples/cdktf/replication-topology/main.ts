/**
 * CDKTF app: a Ferry primary with two secondaries, `east` and `west`.
 * Synthesize with `npx tsx main.ts` (or `npx cdktf synth`); the stack lands in
 * cdktf.out/stacks/ferry-replication/cdk.tf.json (CDKTF_OUTDIR moves cdktf.out).
 */
import { App } from 'cdktf';
import { ReplicationTopologyStack } from './replication-topology-stack';

const app = new App();
new ReplicationTopologyStack(app, 'ferry-replication', { secondaries: ['east', 'west'] });
app.synth();
