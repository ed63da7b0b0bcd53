export { createTelegramChannel, type TelegramChannel } from './channel.ts';
export { parseTelegramEnv, type TelegramConfig } from './config.ts';
export { createTelegramLinks, LINK_CODE_TTL_MS, type TelegramLinks } from './link-service.ts';
