// The third-party modules the provider needs before its handshake line. `npm run provider:bundle` bundles
// exactly this file (see vendor-bundle-builder.ts) so a launch loads one pre-compiled script instead of ~300.
import 'reflect-metadata';
import * as grpc from '@grpc/grpc-js';
import * as x509 from '@peculiar/x509';
import pino from 'pino';
import protobuf from 'protobufjs/light.js';

export { grpc, pino, protobuf, x509 };
