import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { providerBundleLoaderFile, providerLauncherFile, providerSourceAddress, providerVersion, repoRoot } from './paths.js';

/** Terraform's platform name for this machine, e.g. linux_amd64. */
export function terraformPlatform(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch === 'ia32' ? '386' : process.arch;
  return `${process.platform}_${arch}`;
}

export interface MirrorInstall {
  mirrorRoot: string;
  executable: string;
  cliConfigFile: string;
}

/**
 * Lays the provider into an unpacked filesystem mirror (HOST/NAMESPACE/TYPE/VERSION/OS_ARCH/) and writes a
 * CLI configuration that installs it from there, so `terraform init` works offline. The executable execs
 * this checkout's launcher (provider/bin), so rebuilding does not change the package hash.
 */
export async function installFilesystemMirror(mirrorRoot: string): Promise<MirrorInstall> {
  if (!existsSync(providerBundleLoaderFile)) throw new Error(`${providerBundleLoaderFile} is missing: run npm run build first`);
  const [host, namespace, type] = providerSourceAddress.split('/') as [string, string, string];
  const packageDir = join(mirrorRoot, host, namespace, type, providerVersion, terraformPlatform());
  mkdirSync(packageDir, { recursive: true });
  const executable = join(packageDir, `terraform-provider-${type}_v${providerVersion}`);
  writeFileSync(
    executable,
    [
      '#!/bin/sh',
      '# Installed by `npm run provider:install`; runs the provider built in this checkout.',
      `exec ${shellQuote(providerLauncherFile)} "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(executable, 0o755);
  const cliConfigFile = join(mirrorRoot, 'terraform.rc');
  writeFileSync(
    cliConfigFile,
    [
      'provider_installation {',
      '  filesystem_mirror {',
      `    path    = ${JSON.stringify(mirrorRoot)}`,
      `    include = [${JSON.stringify(providerSourceAddress)}]`,
      '  }',
      '  direct {',
      `    exclude = [${JSON.stringify(providerSourceAddress)}]`,
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  return { mirrorRoot, executable, cliConfigFile };
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dirFlag = process.argv.indexOf('--dir');
  const root = resolve(dirFlag > 0 && process.argv[dirFlag + 1] ? (process.argv[dirFlag + 1] as string) : join(repoRoot, 'dist', 'terraform-mirror'));
  installFilesystemMirror(root).then(
    (installed) => {
      process.stdout.write(
        `Installed ${providerSourceAddress} ${providerVersion} into the filesystem mirror ${installed.mirrorRoot}\n` +
          `  executable: ${installed.executable}\n` +
          `  CLI config: ${installed.cliConfigFile}\n\n` +
          `Use it with:\n  export TF_CLI_CONFIG_FILE=${installed.cliConfigFile}\n  terraform init\n`,
      );
    },
    (err: unknown) => {
      process.stderr.write(`provider:install failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
