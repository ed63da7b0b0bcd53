import type { Kysely } from 'kysely';

/**
 * The Telegram approval channel: linked chats, one-time link codes (hashed) and the approval
 * messages sent, so they can be edited to the outcome. Chat ids are text: Telegram's ids exceed
 * 32 bits and are compared, never computed with.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('telegram_links')
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id'))
    .addColumn('chat_id', 'text', (c) => c.notNull().unique())
    .addColumn('chat_label', 'text')
    .addColumn('linked_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('telegram_link_codes')
    .addColumn('code_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  await db.schema
    .createIndex('telegram_link_codes_user')
    .on('telegram_link_codes')
    .column('user_id')
    .execute();

  await db.schema
    .createTable('telegram_messages')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('permission_id', 'text', (c) => c.notNull().references('permissions.id'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
    .addColumn('chat_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'bigint')
    .addColumn('final_status', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    // One message per request and chat: instances racing to announce a request send it once.
    .addUniqueConstraint('telegram_messages_permission_chat', ['permission_id', 'chat_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('telegram_messages').execute();
  await db.schema.dropTable('telegram_link_codes').execute();
  await db.schema.dropTable('telegram_links').execute();
}
