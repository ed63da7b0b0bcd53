import type { Actor } from '../types.ts';

/**
 * Who minted a credential (session, personal token, agent key), as recorded in the details of
 * its audit entry beside whom it is for. Only type and id: never anything else an actor carries.
 */
export function mintedBy(actor: Actor): { type: Actor['type']; id: string } {
  return { type: actor.type, id: actor.id };
}
