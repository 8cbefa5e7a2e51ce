/** strings commands: being written. */
export {};
