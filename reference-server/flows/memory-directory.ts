/** An in-memory UserDirectory for tests and the standalone reference server. */

import type { FlowUser, NewUser, UserDirectory } from './types.ts';

export class MemoryUserDirectory implements UserDirectory {
  readonly users: FlowUser[] = [];

  async findByEmail(email: string): Promise<FlowUser | undefined> {
    const wanted = email.toLowerCase();
    return this.users.find((user) => user.email?.toLowerCase() === wanted);
  }

  async findByExternalId(externalId: string): Promise<FlowUser | undefined> {
    return this.users.find((user) => user.externalId === externalId);
  }

  async create(input: NewUser): Promise<FlowUser> {
    const user: FlowUser = { id: `U${this.users.length + 1}`, ...input, attributes: {} };
    this.users.push(user);
    return user;
  }

  async first(): Promise<FlowUser | undefined> {
    return this.users[0];
  }

  async update(id: string, attributes: Record<string, string>): Promise<FlowUser> {
    const user = this.users.find((candidate) => candidate.id === id);
    if (!user) throw new Error(`unknown user ${id}`);
    Object.assign(user.attributes, attributes);
    return user;
  }
}
