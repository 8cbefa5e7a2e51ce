/** Versions Hotslot reports: its own, and the Redis version whose behaviour it follows. */
export const HOTSLOT_VERSION = "0.1.0";
/** Clients read this from INFO and HELLO to pick features. */
export const REDIS_VERSION = "7.0.15";
