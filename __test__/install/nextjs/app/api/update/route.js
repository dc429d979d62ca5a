import Kernel from 'kernel-native';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export async function GET() {
  // Built per request: `next build` imports this module, where KERNEL_API_KEY is not set.
  const client = new Kernel({ apiKey: process.env.KERNEL_API_KEY, baseURL: process.env.KERNEL_BASE_URL });
  const created = await client.invocations.create({ app_name: 'next', action_name: 'route', version: '1' });
  const invocation = await client.invocations.update(created.id, { status: 'succeeded' });
  return Response.json({ same: invocation.id === created.id, status: invocation.status });
}
