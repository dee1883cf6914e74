// Entry point of terraform-provider-ferry. Terraform reads exactly one stdout line from this process (the
// go-plugin handshake), so nothing else may ever write there. ES modules evaluate their static imports
// before their own body, so this file imports nothing statically: console output is sent to stderr first,
// and only then is the rest of the provider loaded (in the provider bundle the import below is compiled in
// and loads synchronously, so the code-cache launch stays as fast as before).
console.log = console.error;
console.info = console.error;
console.debug = console.error;

import('./run-provider.js').then(
  (provider) => provider.runProvider(process.argv.slice(2)),
  (err: unknown) => {
    process.stderr.write(`[ERROR] terraform-provider-ferry failed to load: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
