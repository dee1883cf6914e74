// The first lines of the provider's loader (provider-bundle-builder.ts puts this file at the top of
// dist/provider-bundle/loader.cjs), run before anything else in it. Deliberately plain ES5 in a function of
// its own: it must run on any node, so that a too-old one is named instead of failing on a syntax error,
// and it must not clash with the loader's own names. The minimum comes from the launcher
// (FERRY_PROVIDER_NODE_MIN, its need_node). Terraform shows the first stdout line.
(function () {
  'use strict';
  var need = String(process.env.FERRY_PROVIDER_NODE_MIN || '0').split('.');
  var have = process.versions.node.split('.');
  for (var i = 0; i < 3; i++) {
    var a = parseInt(have[i] || '0', 10);
    var b = parseInt(need[i] || '0', 10);
    if (a > b) break;
    if (a < b) {
      var message =
        'terraform-provider-ferry: Node.js >= ' +
        process.env.FERRY_PROVIDER_NODE_MIN +
        ' is required, but ' +
        process.execPath +
        ' is ' +
        process.version +
        '; put a newer node first on the PATH Terraform runs with';
      process.stdout.write(message + '\n');
      process.stderr.write(message + '\n');
      process.exit(1);
    }
  }
})();
