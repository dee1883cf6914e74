/** The warnings Vault answers role changes with (kept word for word: clients and docs quote them). */
export const WARNINGS = {
  primaryEnable: 'This cluster is being enabled as a primary for replication. Vault will be unavailable for a brief period and will resume service shortly.',
  secondaryEnable:
    'Vault has successfully found secondary information; it may take a while to perform setup tasks. Vault will be unavailable until these tasks and initial sync complete.',
  disable: 'This cluster is having replication disabled. Vault will be unavailable for a brief period and will resume service shortly.',
  demote: 'This cluster is being demoted to a replication secondary. Vault will be unavailable for a brief period and will resume service shortly.',
  promote: 'This cluster is being promoted to a replication primary. Vault will be unavailable for a brief period and will resume service shortly.',
  otherSecondaries: 'Other secondaries of the previous primary must be pointed at this cluster with a new secondary token and secondary/update-primary.',
} as const;
