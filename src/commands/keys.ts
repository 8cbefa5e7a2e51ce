/** keys commands: being written. */
export {};
