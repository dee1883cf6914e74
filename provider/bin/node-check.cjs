// Preloaded by the launcher (node -r) before the provider bundle is parsed. Deliberately plain ES5: it must
// run on any node, so that a too-old one is named instead of failing on a syntax error. The minimum comes
// from the launcher (FERRY_PROVIDER_NODE_MIN, its need_node). Terraform shows the first stdout line.
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
