/** What the protocol layer logs through: structured fields and a message (the plugin's hclog logger fits). */
export interface RpcLog {
  debug(fields: object, message: string): void;
  error(fields: object, message: string): void;
}
