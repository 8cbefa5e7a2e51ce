/** server commands: being written. */
export {};
