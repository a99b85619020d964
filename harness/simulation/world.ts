/**
 * What the actors act against: the embedded reference system in memory (its clock is the simulation's, its identity
 * systems can fail on cue), or a target file's system on loopback (real time, observation only).
 */

import { resolve } from 'node:path';
import { createHomegrownAuth, type HomegrownAuth } from '../../mocks/idps/homegrown-auth/index.ts';
import { createWorkloadIssuer, type WorkloadIssuer } from '../../mocks/idps/workload/index.ts';
import type { Defect } from '../../reference-server/defects.ts';
import {
  createReferenceSystem,
  REFERENCE_REDIRECT_URI,
  REFERENCE_USERS,
  type ReferenceSystem,
} from '../../reference-server/system.ts';
import { type ServedOverHttps, serveOverHttpsOnLoopback } from '../cimd/serve.ts';
import { ManualClock } from '../clock.ts';
import { Network } from '../network/network.ts';
import type { Fetch } from '../network/types.ts';
import type { TargetFile } from '../target.ts';
import { clientDocumentHost } from './client-documents.ts';
import type { ActorKind, ClientIdentity } from './types.ts';

export const SIMULATION_HOMEGROWN = 'https://auth.homegrown.test';
export const SIMULATION_WORKLOAD_ISSUER = 'https://workload.reference.test';
/** Where the simulated users' MCP clients publish their Client ID Metadata Documents. */
export const SIMULATION_CLIENT_DOCUMENTS = 'https://clients.simulation.test';

interface MachineClient {
  client_id: string;
  client_secret: string;
}

/** The parts of the embedded reference system faults and invariants reach into. */
export interface EmbeddedInternals {
  system: ReferenceSystem;
  homegrown: HomegrownAuth;
  workloadIssuer: WorkloadIssuer;
  clock: ManualClock;
  /** The public client whose users sign in at the homegrown identity system and consent. */
  consentClientId: string;
  cibaLoginHint: string;
}

export interface SimulationWorld {
  kind: 'embedded' | 'target-file';
  name: string;
  network: Network;
  /** What actors fetch with (through the network: faults, limits, host allow-list). */
  fetch: Fetch;
  resource: string;
  /** The second MCP resource a delegating service exchanges tokens for. */
  delegationResource?: string;
  issuer: string;
  scope: string;
  redirectUri: string;
  clients: { m2m?: MachineClient; workload?: MachineClient; ciba?: MachineClient; exchange?: MachineClient };
  /** Actor kinds this world can host, and why the others cannot. */
  unsupported: Map<ActorKind, string>;
  /** Where interactive users' clients get a client_id other than by registering (DCR needs nothing here). */
  clientIdentities: {
    /** An origin the simulation serves Client ID Metadata Documents from, in reach of the AS. */
    cimdDocumentOrigin?: string;
    /** A public client registered beforehand with the world's redirect URI. */
    preRegistered?: { client_id: string };
  };
  /** Client identities this world cannot offer, and why. */
  unsupportedClientIdentities: Map<ClientIdentity, string>;
  /** Stops what the world serves for the run (e.g. a target's client metadata documents over https). */
  close(): Promise<void>;
  /** Origins whose 5xx answers break the no-5xx invariant. */
  systemOrigins: Set<string>;
  /** Present only in memory. */
  embedded?: EmbeddedInternals;
}

/** The reference system in memory with its own homegrown identity system and workload issuer, on a manual clock. */
export async function embeddedWorld(defects: readonly Defect[] = []): Promise<SimulationWorld> {
  const clock = new ManualClock(Date.now());
  const homegrown = createHomegrownAuth({ clock, users: [] });
  const system = await createReferenceSystem({
    clock,
    defects: [...defects],
    interaction: 'auto-approve',
    workloadIssuer: SIMULATION_WORKLOAD_ISSUER,
    byoa: { homegrownAuth: SIMULATION_HOMEGROWN },
    // No OIDC or SAML upstreams: the simulated users sign in at the homegrown identity system.
    federation: {},
  });
  const workloadIssuer = await createWorkloadIssuer({
    issuer: SIMULATION_WORKLOAD_ISSUER,
    clock,
    audience: system.issuer,
  });
  // The embedded reference system is the harness's own code: its answers need no copy (issue 8's agents benchmark).
  const network = new Network({ passMountedAnswersThrough: true });
  system.mount(network);
  network.mount(SIMULATION_HOMEGROWN, homegrown.handler);
  network.mount(SIMULATION_WORKLOAD_ISSUER, workloadIssuer.handler);
  network.mount(SIMULATION_CLIENT_DOCUMENTS, clientDocumentHost(REFERENCE_REDIRECT_URI));
  return {
    kind: 'embedded',
    name: defects.length > 0 ? `reference system with defects ${defects.join(', ')}` : 'reference system',
    network,
    fetch: network.internalFetch,
    resource: system.resource,
    delegationResource: system.alternateResource,
    issuer: system.issuer,
    scope: system.scopes.basic,
    redirectUri: REFERENCE_REDIRECT_URI,
    clients: {
      m2m: system.clients.m2m,
      workload: system.clients.workload,
      ciba: system.clients.ciba,
      exchange: system.clients.exchange,
    },
    unsupported: new Map(),
    clientIdentities: {
      cimdDocumentOrigin: SIMULATION_CLIENT_DOCUMENTS,
      preRegistered: { client_id: system.clients.public.client_id },
    },
    unsupportedClientIdentities: new Map(),
    close: async () => {},
    systemOrigins: new Set([new URL(system.issuer).origin, new URL(system.resource).origin]),
    embedded: {
      system,
      homegrown,
      workloadIssuer,
      clock,
      consentClientId: system.flowClients.consent,
      cibaLoginHint: REFERENCE_USERS[0]!.email,
    },
  };
}

/**
 * A target file's system on loopback: only what its file declares can act, and nothing inside it is touched. With a
 * `cimd` host declared, the users' client metadata documents are served there over https (the target's AS trusts the
 * test CA at `cimd.caFile`), as the conformance run serves its own.
 */
export async function targetWorld(target: TargetFile): Promise<SimulationWorld> {
  const documents = target.cimd ? await serveClientDocuments(target, target.cimd) : undefined;
  try {
    return loopbackWorld(target, documents);
  } catch (error) {
    await documents?.close();
    throw error;
  }
}

async function serveClientDocuments(target: TargetFile, cimd: NonNullable<TargetFile['cimd']>) {
  try {
    return await serveOverHttpsOnLoopback(clientDocumentHost(target.redirectUri), {
      port: Number(new URL(cimd.host).port),
      caFile: resolve(cimd.caFile),
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`target: cannot serve client metadata documents at cimd.host ${cimd.host}: ${reason}`);
  }
}

function loopbackWorld(target: TargetFile, documents: ServedOverHttps | undefined): SimulationWorld {
  const urls = [target.resource, target.issuer].filter((url): url is string => url !== undefined);
  const hosts = urls.map((url) => new URL(url));
  const notLoopback = hosts.find((url) => !['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname));
  if (notLoopback) throw new Error(`target: simulations reach loopback only (got ${notLoopback.origin})`);
  if (!target.resource || !target.issuer) {
    throw new Error('target: a simulation needs both "resource" and "issuer"');
  }
  const network = new Network({ allowedHosts: hosts.map((url) => url.host), timeoutMs: target.timeoutMs });
  const unsupported = new Map<ActorKind, string>([
    ['workload', 'needs the harness-served workload issuer of the embedded system'],
    ['ciba-agent', 'needs an approval inbox the simulation can read in memory'],
  ]);
  if (!target.clients.m2m) unsupported.set('m2m-agent', 'the target file declares no clients.m2m');
  if (!target.clients.exchange || !target.alternateResource) {
    unsupported.set('delegating-service', 'the target file declares no clients.exchange and alternateResource');
  }
  if (target.login.mode !== 'auto') unsupported.set('interactive-user', 'only login.mode "auto" runs headless');
  const publicClient = target.clients.public;
  const unsupportedClientIdentities = new Map<ClientIdentity, string>();
  if (!documents)
    unsupportedClientIdentities.set('cimd', 'the target file declares no cimd host to serve documents at');
  if (!publicClient || publicClient.redirect_uri !== target.redirectUri) {
    unsupportedClientIdentities.set('preRegistered', 'the target file declares no clients.public with its redirectUri');
  }
  return {
    kind: 'target-file',
    name: target.name,
    network,
    fetch: network.fetch,
    resource: target.resource,
    ...(target.alternateResource ? { delegationResource: target.alternateResource } : {}),
    issuer: target.issuer,
    scope: target.scopes?.basic ?? '',
    redirectUri: target.redirectUri,
    clients: {
      ...(target.clients.m2m ? { m2m: target.clients.m2m } : {}),
      ...(target.clients.exchange ? { exchange: target.clients.exchange } : {}),
    },
    unsupported,
    clientIdentities: {
      ...(documents && target.cimd ? { cimdDocumentOrigin: target.cimd.host } : {}),
      ...(publicClient ? { preRegistered: { client_id: publicClient.client_id } } : {}),
    },
    unsupportedClientIdentities,
    close: async () => documents?.close(),
    systemOrigins: new Set(hosts.map((url) => url.origin)),
  };
}
