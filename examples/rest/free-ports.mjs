// Port checks for dev-pair.sh, on 127.0.0.1 where the dev servers listen.
//   node free-ports.mjs busy PORT...  prints the first busy port of the list (nothing if all are free)
//   node free-ports.mjs pair          prints a free port P with P+1 free too (an API port and its cluster port)
import net from 'node:net';

function isFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const [mode, ...ports] = process.argv.slice(2);
if (mode === 'busy') {
  for (const port of ports.map(Number)) {
    if (!(await isFree(port))) {
      console.log(port);
      break;
    }
  }
} else if (mode === 'pair') {
  for (let attempt = 0; attempt < 50; attempt++) {
    const probe = net.createServer();
    await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address();
    await new Promise((resolve) => probe.close(resolve));
    if (port < 65535 && (await isFree(port)) && (await isFree(port + 1))) {
      console.log(port);
      process.exit(0);
    }
  }
  process.exit(1);
} else {
  console.error('usage: free-ports.mjs busy PORT... | pair');
  process.exit(2);
}
