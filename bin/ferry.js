#!/usr/bin/env node
// The `ferry` command: runs the compiled CLI (built by `npm install` through the `prepare` script).
import('../dist/server/cli/main.js')
  .then((m) => m.main(process.argv.slice(2)))
  .catch((err) => {
    process.stderr.write(`ferry: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
