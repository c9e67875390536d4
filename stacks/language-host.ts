// pulumi-language-nodejs for this project, so that the engine can run
// Pulumi.yaml itself (bin/pulumi preview -s prod) as well as through the
// Automation API. The Go language host is not served by the Go module proxy; this
// one is Pulumi's own LanguageServer (the one the Automation API uses for inline
// programs) serving stacks/pulumi-main.ts over gRPC, announced on stdout as the
// engine expects of a language plugin.
import { createRequire } from 'node:module';
import { stackProgram } from './pulumi-main.ts';

const require = createRequire(import.meta.resolve('@pulumi/pulumi'));
const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
const { LanguageServer } = require('./automation/server') as {
  LanguageServer: new (program: () => Promise<unknown>) => object;
};
const { LanguageRuntimeService } = require('./proto/language_grpc_pb') as {
  LanguageRuntimeService: import('@grpc/grpc-js').ServiceDefinition;
};
const { grpcChannelOptions } = require('./runtime') as { grpcChannelOptions: Record<string, number> };

const server = new grpc.Server(grpcChannelOptions);
server.addService(LanguageRuntimeService, new LanguageServer(stackProgram) as never);
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) {
    console.error(`language host: ${error.message}`);
    process.exit(1);
  }
  process.stdout.write(`${port}\n`);
});
