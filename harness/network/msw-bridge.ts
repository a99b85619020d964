import { HttpResponse, http, passthrough } from 'msw';
import { setupServer } from 'msw/node';
import type { Network } from './network.ts';

/**
 * Routes the process-wide `fetch` into the in-memory network, for code that cannot be handed a fetch function
 * (third-party clients that call `globalThis.fetch`). Origins not mounted in memory pass through to the real network
 * only when the network allows the host; anything else is answered with a network error.
 */
export function bridgeGlobalFetch(network: Network): { close(): void } {
  const server = setupServer(
    http.all('*', async ({ request }) => {
      const inMemory = await network.handleInMemory(request);
      if (inMemory) return inMemory;
      if (network.isAllowed(new URL(request.url))) return passthrough();
      return HttpResponse.error();
    }),
  );
  server.listen({ onUnhandledRequest: 'bypass' });
  return { close: () => server.close() };
}
