import type { Command } from './command.js';
import { auditDisableCommand, auditEnableCommand, auditListCommand } from './commands/audit-commands.js';
import { authDisableCommand, authEnableCommand, authListCommand, authTuneCommand } from './commands/auth-commands.js';
import { completionCommand } from './commands/completion-command.js';
import { operatorGenerateRootCommand } from './commands/generate-root-command.js';
import { deleteCommand, listCommand, readCommand, writeCommand } from './commands/kv-commands.js';
import { kvMetadataDeleteCommand, kvMetadataGetCommand, kvMetadataPutCommand } from './commands/kv-metadata-commands.js';
import {
  kvDeleteCommand,
  kvDestroyCommand,
  kvEnableVersioningCommand,
  kvGetCommand,
  kvListCommand,
  kvPatchCommand,
  kvPutCommand,
  kvUndeleteCommand,
} from './commands/kv-v2-commands.js';
import { leaseLookupCommand, leaseRenewCommand, leaseRevokeCommand } from './commands/lease-commands.js';
import { loginCommand } from './commands/login-command.js';
import { operatorInitCommand, operatorRotateCommand, operatorSealCommand, operatorUnsealCommand } from './commands/operator-commands.js';
import { policyDeleteCommand, policyListCommand, policyReadCommand, policyWriteCommand } from './commands/policy-commands.js';
import { operatorMigrateCommand } from './commands/migrate-command.js';
import { operatorRekeyCommand } from './commands/rekey-command.js';
import { snapshotInspectCommand, snapshotRestoreCommand, snapshotSaveCommand } from './commands/snapshot-commands.js';
import { secretsDisableCommand, secretsEnableCommand, secretsListCommand, secretsMoveCommand, secretsTuneCommand } from './commands/secrets-commands.js';
import { statusCommand } from './commands/status-command.js';
import { tokenCapabilitiesCommand, tokenCreateCommand, tokenLookupCommand, tokenRenewCommand, tokenRevokeCommand } from './commands/token-commands.js';
import { unwrapCommand } from './commands/unwrap-command.js';
import { printTokenCommand, versionCommand } from './commands/version-command.js';

/**
 * The one command table: parsing, dispatch, `-h` help, the README list (`npm run docs:cli`) and shell
 * completion are all generated from it. `server` is dispatched separately to keep server code out of
 * client runs; it is listed in help through SERVER_SYNOPSIS.
 */
export const COMMANDS: readonly Command[] = [
  readCommand,
  writeCommand,
  listCommand,
  deleteCommand,
  loginCommand,
  statusCommand,
  unwrapCommand,
  versionCommand,
  printTokenCommand,
  secretsEnableCommand,
  secretsDisableCommand,
  secretsListCommand,
  secretsMoveCommand,
  secretsTuneCommand,
  kvGetCommand,
  kvPutCommand,
  kvPatchCommand,
  kvListCommand,
  kvDeleteCommand,
  kvUndeleteCommand,
  kvDestroyCommand,
  kvEnableVersioningCommand,
  kvMetadataGetCommand,
  kvMetadataPutCommand,
  kvMetadataDeleteCommand,
  authEnableCommand,
  authDisableCommand,
  authListCommand,
  authTuneCommand,
  auditEnableCommand,
  auditDisableCommand,
  auditListCommand,
  leaseLookupCommand,
  leaseRenewCommand,
  leaseRevokeCommand,
  tokenCreateCommand,
  tokenLookupCommand,
  tokenRenewCommand,
  tokenRevokeCommand,
  tokenCapabilitiesCommand,
  policyWriteCommand,
  policyReadCommand,
  policyListCommand,
  policyDeleteCommand,
  operatorInitCommand,
  operatorUnsealCommand,
  operatorSealCommand,
  operatorRotateCommand,
  operatorGenerateRootCommand,
  operatorRekeyCommand,
  snapshotSaveCommand,
  snapshotRestoreCommand,
  snapshotInspectCommand,
  operatorMigrateCommand,
  completionCommand,
];

/** One-line descriptions of the command groups (`ferry kv -h`). */
export const GROUP_SYNOPSES: Readonly<Record<string, string>> = {
  secrets: 'Interact with secrets engines',
  kv: "Interact with Ferry's Key-Value storage",
  'kv metadata': "Interact with Ferry's Key-Value storage metadata",
  auth: 'Interact with auth methods',
  audit: 'Interact with audit devices',
  lease: 'Interact with leases',
  token: 'Interact with tokens',
  policy: 'Interact with policies',
  operator: 'Perform operator-specific tasks',
  'operator snapshot': 'Save, restore and inspect snapshots of storage',
  print: 'Prints runtime configurations',
};

export const SERVER_SYNOPSIS = 'Start a Ferry server';
