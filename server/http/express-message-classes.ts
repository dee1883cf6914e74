import { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';

/** The `IncomingMessage` / `ServerResponse` options of `http.createServer`. */
export interface MessageClasses {
  readonly IncomingMessage: typeof IncomingMessage;
  readonly ServerResponse: typeof ServerResponse;
}

/** Node's two message constructors as the plain functions they are (not `class` syntax). */
type PlainConstructor = (this: object, ...args: unknown[]) => void;

function isPlainFunction(constructor: unknown): constructor is PlainConstructor {
  return typeof constructor === 'function' && !Function.prototype.toString.call(constructor).startsWith('class');
}

/**
 * Request and response classes whose instances Node's HTTP server creates with Express's own
 * prototypes (`app.request`, `app.response`) from the start; `{}` (Node's own classes) where this
 * Node's constructors cannot be borrowed so.
 *
 * Express gives every request and response those prototypes in `app.handle`
 * (`Object.setPrototypeOf`). Changing the prototype of a live object makes V8 give it a map of its
 * own, so property accesses on the two objects miss the inline caches, and they outlive the young
 * generation (a no-op Express route promoted about 7.7 KB a request to the old space, against
 * nothing for plain `node:http`). Created with the right prototype, Express's `setPrototypeOf`
 * finds it already in place and changes nothing; each object is built by Node's own constructor,
 * called on it as on a subclass instance. (`Reflect.construct` with these as `new.target` was
 * measured too: it left the objects as slow as before.)
 */
export function expressMessageClasses(app: Express): Partial<MessageClasses> {
  const nodeRequest: unknown = IncomingMessage;
  const nodeResponse: unknown = ServerResponse;
  if (!isPlainFunction(nodeRequest) || !isPlainFunction(nodeResponse)) return {};
  const request: PlainConstructor = nodeRequest;
  const response: PlainConstructor = nodeResponse;
  function ExpressIncomingMessage(this: object, ...args: unknown[]): void {
    request.apply(this, args);
  }
  ExpressIncomingMessage.prototype = app.request;
  function ExpressServerResponse(this: object, ...args: unknown[]): void {
    response.apply(this, args);
  }
  ExpressServerResponse.prototype = app.response;
  return {
    IncomingMessage: ExpressIncomingMessage as unknown as typeof IncomingMessage,
    ServerResponse: ExpressServerResponse as unknown as typeof ServerResponse,
  };
}
