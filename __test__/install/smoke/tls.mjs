// One update over HTTPS to a server whose certificate comes from a private CA, given with `ca`
// (argv: the server's URL, the CA's PEM file). Run where the machine has no CA store at all
// (slim images, distroless, Alpine without ca-certificates): the default pool must still build.
import fs from 'node:fs';
import Kernel from 'kernel-native';

const [baseURL, caFile] = process.argv.slice(2);
const standard = new Kernel({ apiKey: 'tls-key' });
const client = new Kernel({ apiKey: 'tls-key', baseURL, ca: fs.readFileSync(caFile), maxRetries: 0, timeout: 10_000 });
const invocation = await client.invocations.update('over-tls', { status: 'succeeded' });
console.log(`tls: ${invocation.id} ${invocation.status}; default client for ${standard.baseURL}`);
