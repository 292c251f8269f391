// inventory.commands → the reservation engine. Each command is processed once: the inbox row
// (consumer, message id) is written in the same statement as the effect, and a redelivered
// message changes and announces nothing. The statements find the redelivery themselves (the
// reservation batch's read, the inbox insert of the others: infra/reservation-store.ts), so no
// command pays a SELECT of the inbox first. The answer (stock.reserved / stock.rejected /
// stock.confirmed / stock.released / stock.restocked) goes out through the outbox.
import { isDomainError, runsOfDistinctKeys, Topics, type AnyEnvelope, type BatchItem } from '@sudamall/shared';
import type { Consumer } from '@sudamall/shared/service';
import type { Logger } from 'pino';
import type { ReservationEngine } from '../app/reservation-engine';
import type { ReservationUseCases } from '../container';

export const COMMANDS_CONSUMER = 'inventory.commands';

/** The consumer group (before the deployment's prefix); it must not change, or commands are read again from the beginning. */
export const COMMANDS_GROUP = 'inventory';

export interface CommandsConsumerDeps {
  engine: ReservationEngine;
  reservations: ReservationUseCases;
  logger: Logger;
}

export async function handleInventoryCommand(deps: CommandsConsumerDeps, envelope: AnyEnvelope): Promise<void> {
  const inbox = { consumer: COMMANDS_CONSUMER, eventId: envelope.id };
  // A command that is not a duplicate delivery but finds its order already handled was re-sent
  // on purpose: answer it again (announceRepeat).
  const opts = { inbox, announceRepeat: true };
  try {
    switch (envelope.type) {
      case 'inventory.reserve':
        try {
          await deps.engine.reserve(envelope.data, opts);
        } catch (e) {
          const orderId = envelope.data?.order_id;
          if (!isDomainError(e) || e.kind !== 'invalid' || typeof orderId !== 'string' || orderId === '') throw e;
          // A malformed command cannot succeed later: answer stock.rejected with the reason.
          deps.logger.warn({ code: e.code, order_id: orderId }, 'rejecting a malformed reserve command');
          await deps.engine.rejectMalformed(orderId, e.code, opts);
        }
        return;
      case 'inventory.confirm':
        await deps.reservations.confirm.execute(envelope.data?.order_id, opts);
        return;
      case 'inventory.release':
        // restock: the order's confirmation may have sold the units; those come back too.
        if (envelope.data?.restock === true) await deps.reservations.restock.execute(envelope.data.order_id, envelope.data.reason || 'restocked', opts);
        else await deps.reservations.release.execute(envelope.data?.order_id, envelope.data?.reason || 'released', opts);
        return;
      case 'inventory.restock':
        // Some lines' sold units back, once per restock_id (a re-send is answered the same).
        await deps.reservations.restockLines.execute(envelope.data ?? {}, opts);
        return;
      default:
        deps.logger.debug({ type: envelope.type }, 'ignoring a message type inventory does not handle');
    }
  } catch (e) {
    // A command nobody can answer (no order id...) would be retried forever and block its
    // partition: log it loudly and move on. Anything else (Redis or the database down) is
    // thrown, and the bus retries it with backoff.
    if (isDomainError(e) && e.kind === 'invalid') {
      deps.logger.error({ code: e.code, type: envelope.type, event_id: envelope.id }, 'dropping a malformed command');
      return;
    }
    throw e;
  }
}

/**
 * Commands fetched together from one partition, in their order. A run of reserve commands for
 * different orders goes to the engine side by side, so they share its batches (one lock
 * acquisition, one read and one write for all of them instead of one each); any other command,
 * or a second one for an order already in the run, waits for the run and goes alone. Every
 * command of a run settles before this throws: the bus then hands each message to `handle`, where
 * what was applied is a redelivery (the inbox).
 */
export async function handleInventoryCommands(deps: CommandsConsumerDeps, items: readonly BatchItem[]): Promise<void> {
  const handle = (item: BatchItem) => item.within(() => handleInventoryCommand(deps, item.envelope));
  for (const part of runsOfDistinctKeys(items, (item) => reservingOrderOf(item.envelope))) {
    if ('alone' in part) {
      await handle(part.alone);
      continue;
    }
    const settled = await Promise.allSettled(part.run.map(handle));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/** The order a reserve command names (undefined for any other command: it goes alone). */
function reservingOrderOf(envelope: AnyEnvelope): string | undefined {
  if (envelope.type !== 'inventory.reserve') return undefined;
  const orderId = (envelope.data as { order_id?: unknown } | undefined)?.order_id;
  return typeof orderId === 'string' ? orderId : undefined;
}

/** inventory.commands, as the kernel subscribes it (from the beginning: a command sent before the group first joined is not lost). */
export function commandsConsumer(deps: CommandsConsumerDeps): Consumer {
  return {
    name: COMMANDS_GROUP,
    topics: [Topics.inventoryCommands],
    fromBeginning: true,
    handle: (envelope) => handleInventoryCommand(deps, envelope),
    // Under load the commands queue up: reserves fetched together are decided together.
    handleBatch: (items) => handleInventoryCommands(deps, items),
  };
}
