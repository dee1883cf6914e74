/** A Terraform target platform, named as Terraform names it (`linux_amd64`). */
export interface ReleasePlatform {
  os: 'linux' | 'darwin';
  arch: 'amd64' | 'arm64';
}

/**
 * The platforms a release is packaged for. The provider is a Node program run by a `#!/bin/sh` launcher, so
 * a package serves any OS with a POSIX shell and a Node build: Linux and macOS, on amd64 and arm64.
 * Windows is left out on purpose: Terraform executes `terraform-provider-ferry_vX.Y.Z.exe` there, which must
 * be a real PE executable, and none can be built offline from this repository (a renamed script would not
 * start). See provider/README.md.
 */
export const releasePlatforms: readonly ReleasePlatform[] = [
  { os: 'darwin', arch: 'amd64' },
  { os: 'darwin', arch: 'arm64' },
  { os: 'linux', arch: 'amd64' },
  { os: 'linux', arch: 'arm64' },
];

export function platformName(platform: ReleasePlatform): string {
  return `${platform.os}_${platform.arch}`;
}
