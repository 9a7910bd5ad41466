import type { Expression, Kysely, Selectable } from 'kysely';
import type { Database, NotificationsTable } from '../database.js';

export type NotificationChannel = NotificationsTable['channel'];
export type NotificationState = 'pending' | 'delivered' | 'failed';
export type NotificationRow = Selectable<NotificationsTable>;

export interface NewNotification {
  analysisId: string;
  version: number;
  channel: NotificationChannel;
  event: string;
  target: string;
  payload: object;
}

/** What `GET /analysis/{id}` shows of each notification: no target (a webhook URL may carry a token), no payload. */
export interface NotificationView {
  id: string;
  version: number;
  channel: NotificationChannel;
  event: string;
  state: NotificationState;
  attempts: number;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

/** The only writer of `notifications`: the outbox rows of the notification activities. */
export const notificationsRepository = {
  /**
   * The outbox row of this analysis, version and channel: created by the first caller, returned
   * as stored to every later one (a retried or repeated activity), so its id and payload never change.
   */
  async claim(db: Kysely<Database>, n: NewNotification): Promise<NotificationRow> {
    await db
      .insertInto('notifications')
      .values({
        analysis_id: n.analysisId,
        version: n.version,
        channel: n.channel,
        event: n.event,
        target: n.target,
        payload: JSON.stringify(n.payload),
      })
      .onConflict((oc) => oc.constraint('notifications_analysis_version_channel_key').doNothing())
      .execute();
    return db
      .selectFrom('notifications')
      .selectAll()
      .where('analysis_id', '=', n.analysisId)
      .where('version', '=', n.version)
      .where('channel', '=', n.channel)
      .executeTakeFirstOrThrow();
  },

  /** Counts a send about to be made; false when the row is no longer pending (delivered or given up meanwhile). */
  async countAttempt(db: Kysely<Database>, id: string): Promise<boolean> {
    const row = await db
      .updateTable('notifications')
      .set((eb) => ({ attempts: eb('attempts', '+', 1), updated_at: new Date() }))
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  },

  async markDelivered(db: Kysely<Database>, id: string): Promise<void> {
    const now = new Date();
    await db
      .updateTable('notifications')
      .set({ state: 'delivered', delivered_at: now, updated_at: now })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  },

  /** A failed send: still pending (it will be retried), or failed for good. Delivered rows stay delivered. */
  async recordFailure(db: Kysely<Database>, id: string, error: string, final: boolean): Promise<void> {
    await db
      .updateTable('notifications')
      .set({ last_error: error, updated_at: new Date(), ...(final ? { state: 'failed' as const } : {}) })
      .where('id', '=', id)
      .where('state', '=', 'pending')
      .execute();
  },

  async list(db: Kysely<Database>, analysisId: string): Promise<NotificationView[]> {
    return (await notificationsRepository.viewsOf(db, analysisId).execute()).map(viewFrom);
  },

  /** The rows behind each NotificationView, also nested as JSON in the status read (analysesRepository.statusById). */
  viewsOf(db: Kysely<Database>, analysisId: string | Expression<string>) {
    return db
      .selectFrom('notifications')
      .select(['id', 'version', 'channel', 'event', 'state', 'attempts', 'last_error', 'created_at', 'delivered_at'])
      .where('analysis_id', '=', analysisId)
      .orderBy('version')
      .orderBy('channel');
  },
};

/** One row of viewsOf as the API shows it; nested as JSON its timestamps arrive as text. */
export function viewFrom(r: ViewRow): NotificationView {
  const { last_error, created_at, delivered_at, ...same } = r;
  return {
    ...same,
    lastError: last_error,
    createdAt: new Date(created_at).toISOString(),
    deliveredAt: delivered_at === null ? null : new Date(delivered_at).toISOString(),
  };
}

/** A row of viewsOf: the view's own fields under their column names, timestamps as Dates or JSON text. */
type ViewRow = Omit<NotificationView, 'lastError' | 'createdAt' | 'deliveredAt'> & {
  last_error: string | null;
  created_at: Date | string;
  delivered_at: Date | string | null;
};
