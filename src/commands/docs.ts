/**
 * Documentation metadata of every command, kept apart from its behaviour: what COMMAND
 * DOCS prints (summary, since, complexity; the group comes from the declaration, as it
 * also gives the ACL category). The texts follow Redis 7.0's command docs, so COMMAND
 * DOCS answers as redis-server does. Every declared command has an entry here
 * (test/unit/command-table.test.ts checks it).
 */

export interface CommandDocs {
  readonly summary: string;
  /** The Redis version that introduced the command. */
  readonly since: string;
  /** Time complexity, when Redis documents one. */
  readonly complexity?: string;
}

/** Command name (lowercase) → its docs, grouped as COMMAND DOCS groups them. */
export const COMMAND_DOCS: Readonly<Record<string, CommandDocs>> = {
  // --- connection ------------------------------------------------------------
  ping: { summary: "Ping the server", since: "1.0.0", complexity: "O(1)" },
  echo: { summary: "Echo the given string", since: "1.0.0", complexity: "O(1)" },
  select: { summary: "Change the selected database for the current connection", since: "1.0.0", complexity: "O(1)" },
  quit: { summary: "Close the connection", since: "1.0.0", complexity: "O(1)" },
  reset: { summary: "Reset the connection", since: "6.2.0", complexity: "O(1)" },
  auth: {
    summary: "Authenticate to the server",
    since: "1.0.0",
    complexity: "O(N) where N is the number of passwords defined for the user",
  },
  hello: { summary: "Handshake with Redis", since: "6.0.0", complexity: "O(1)" },
  // --- pubsub (src/commands/pubsub.ts) ----------------------------------------
  subscribe: { summary: "Listen for messages published to the given channels", since: "2.0.0", complexity: "O(N) where N is the number of channels to subscribe to." },
  unsubscribe: { summary: "Stop listening for messages posted to the given channels", since: "2.0.0", complexity: "O(N) where N is the number of clients already subscribed to a channel." },
  psubscribe: { summary: "Listen for messages published to channels matching the given patterns", since: "2.0.0", complexity: "O(N) where N is the number of patterns the client is already subscribed to." },
  punsubscribe: {
    summary: "Stop listening for messages posted to channels matching the given patterns",
    since: "2.0.0",
    complexity: "O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).",
  },
  ssubscribe: { summary: "Listen for messages published to the given shard channels", since: "7.0.0", complexity: "O(N) where N is the number of shard channels to subscribe to." },
  sunsubscribe: { summary: "Stop listening for messages posted to the given shard channels", since: "7.0.0", complexity: "O(N) where N is the number of clients already subscribed to a shard channel." },
  publish: {
    summary: "Post a message to a channel",
    since: "2.0.0",
    complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
  },
  spublish: { summary: "Post a message to a shard channel", since: "7.0.0", complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel." },
  pubsub: { summary: "A container for Pub/Sub commands", since: "2.8.0", complexity: "Depends on subcommand." },
  monitor: { summary: "Listen for all requests received by the server in real time", since: "1.0.0" },
  client: { summary: "A container for client connection commands", since: "2.4.0" },

  // --- server ----------------------------------------------------------------
  time: { summary: "Return the current server time", since: "2.6.0", complexity: "O(1)" },
  command: {
    summary: "Get array of Redis command details",
    since: "2.8.13",
    complexity: "O(N) where N is the total number of Redis commands",
  },
  info: { summary: "Get information and statistics about the server", since: "1.0.0", complexity: "O(1)" },
  config: { summary: "A container for server configuration commands", since: "2.0.0" },
  memory: {
    summary: "A container for memory diagnostics commands",
    since: "4.0.0",
    complexity: "Depends on subcommand.",
  },
  save: {
    summary: "Synchronously save the dataset to disk",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of keys in all databases",
  },
  bgsave: { summary: "Asynchronously save the dataset to disk", since: "1.0.0", complexity: "O(1)" },
  bgrewriteaof: { summary: "Asynchronously rewrite the append-only file", since: "1.0.0", complexity: "O(1)" },
  lastsave: {
    summary: "Get the UNIX time stamp of the last successful save to disk",
    since: "1.0.0",
    complexity: "O(1)",
  },
  debug: { summary: "A container for debugging commands", since: "1.0.0", complexity: "Depends on subcommand." },

  // --- replication (src/commands/replication.ts) --------------------------------
  wait: {
    summary: "Wait for the synchronous replication of all the write commands sent in the context of the current connection",
    since: "3.0.0",
    complexity: "O(1)",
  },
  waitaof: {
    summary: "Wait for all write commands sent by the client to be fsynced to the AOF of the local host and/or replicas",
    since: "7.2.0",
    complexity: "O(1)",
  },
  role: { summary: "Return the role of the instance in the context of replication", since: "2.8.12", complexity: "O(1)" },
  replicaof: { summary: "Make the server a replica of another instance, or promote it as master.", since: "5.0.0", complexity: "O(1)" },
  slaveof: { summary: "Make the server a replica of another instance, or promote it as master.", since: "1.0.0", complexity: "O(1)" },
  readonly: { summary: "Enables read queries for a connection to a cluster replica node", since: "3.0.0", complexity: "O(1)" },
  readwrite: { summary: "Disables read queries for a connection to a cluster replica node", since: "3.0.0", complexity: "O(1)" },

  // --- cluster ---------------------------------------------------------------
  cluster: { summary: "A container for cluster commands", since: "3.0.0" },

  // --- transactions ----------------------------------------------------------
  multi: { summary: "Mark the start of a transaction block", since: "1.2.0", complexity: "O(1)" },
  exec: { summary: "Execute all commands issued after MULTI", since: "1.2.0" },
  discard: {
    summary: "Discard all commands issued after MULTI",
    since: "2.0.0",
    complexity: "O(N), when N is the number of queued commands",
  },
  watch: {
    summary: "Watch the given keys to determine execution of the MULTI/EXEC block",
    since: "2.2.0",
    complexity: "O(1) for every key.",
  },
  unwatch: { summary: "Forget about all watched keys", since: "2.2.0", complexity: "O(1)" },

  // --- keyspace --------------------------------------------------------------
  dbsize: { summary: "Return the number of keys in the selected database", since: "1.0.0", complexity: "O(1)" },
  flushdb: {
    summary: "Remove all keys from the current database",
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys in the selected database",
  },
  flushall: {
    summary: "Remove all keys from all databases",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of keys in all databases",
  },
  del: {
    summary: "Delete a key",
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
  },
  unlink: {
    summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
    since: "4.0.0",
    complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
  },
  exists: {
    summary: "Determine if a key exists",
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys to check.",
  },
  touch: {
    summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.",
    since: "3.2.1",
    complexity: "O(N) where N is the number of keys that will be touched.",
  },
  type: { summary: "Determine the type stored at key", since: "1.0.0", complexity: "O(1)" },
  rename: { summary: "Rename a key", since: "1.0.0", complexity: "O(1)" },
  renamenx: { summary: "Rename a key, only if the new key does not exist", since: "1.0.0", complexity: "O(1)" },
  copy: {
    summary: "Copy a key",
    since: "6.2.0",
    complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
  },
  keys: {
    summary: "Find all keys matching the given pattern",
    since: "1.0.0",
    complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
  },
  scan: {
    summary: "Incrementally iterate the keys space",
    since: "2.8.0",
    complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
  },
  randomkey: { summary: "Return a random key from the keyspace", since: "1.0.0", complexity: "O(1)" },
  expire: { summary: "Set a key's time to live in seconds", since: "1.0.0", complexity: "O(1)" },
  pexpire: { summary: "Set a key's time to live in milliseconds", since: "2.6.0", complexity: "O(1)" },
  expireat: { summary: "Set the expiration for a key as a UNIX timestamp", since: "1.2.0", complexity: "O(1)" },
  pexpireat: {
    summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
    since: "2.6.0",
    complexity: "O(1)",
  },
  ttl: { summary: "Get the time to live for a key in seconds", since: "1.0.0", complexity: "O(1)" },
  pttl: { summary: "Get the time to live for a key in milliseconds", since: "2.6.0", complexity: "O(1)" },
  expiretime: { summary: "Get the expiration Unix timestamp for a key", since: "7.0.0", complexity: "O(1)" },
  pexpiretime: {
    summary: "Get the expiration Unix timestamp for a key in milliseconds",
    since: "7.0.0",
    complexity: "O(1)",
  },
  persist: { summary: "Remove the expiration from a key", since: "2.2.0", complexity: "O(1)" },
  object: {
    summary: "A container for object introspection commands",
    since: "2.2.3",
    complexity: "Depends on subcommand.",
  },
  dump: {
    summary: "Return a serialized version of the value stored at the specified key.",
    since: "2.6.0",
    complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
  },
  restore: {
    summary: "Create a key using the provided serialized value, previously obtained using DUMP.",
    since: "2.6.0",
    complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
  },

  // --- string ----------------------------------------------------------------
  get: { summary: "Get the value of a key", since: "1.0.0", complexity: "O(1)" },
  set: { summary: "Set the string value of a key", since: "1.0.0", complexity: "O(1)" },
  setnx: { summary: "Set the value of a key, only if the key does not exist", since: "1.0.0", complexity: "O(1)" },
  setex: { summary: "Set the value and expiration of a key", since: "2.0.0", complexity: "O(1)" },
  psetex: { summary: "Set the value and expiration in milliseconds of a key", since: "2.6.0", complexity: "O(1)" },
  getset: { summary: "Set the string value of a key and return its old value", since: "1.0.0", complexity: "O(1)" },
  getdel: { summary: "Get the value of a key and delete the key", since: "6.2.0", complexity: "O(1)" },
  getex: { summary: "Get the value of a key and optionally set its expiration", since: "6.2.0", complexity: "O(1)" },
  mget: {
    summary: "Get the values of all the given keys",
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys to retrieve.",
  },
  mset: {
    summary: "Set multiple keys to multiple values",
    since: "1.0.1",
    complexity: "O(N) where N is the number of keys to set.",
  },
  msetnx: {
    summary: "Set multiple keys to multiple values, only if none of the keys exist",
    since: "1.0.1",
    complexity: "O(N) where N is the number of keys to set.",
  },
  append: {
    summary: "Append a value to a key",
    since: "2.0.0",
    complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
  },
  strlen: { summary: "Get the length of the value stored in a key", since: "2.2.0", complexity: "O(1)" },
  getrange: {
    summary: "Get a substring of the string stored at a key",
    since: "2.4.0",
    complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
  },
  substr: {
    summary: "Get a substring of the string stored at a key",
    since: "1.0.0",
    complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
  },
  setrange: {
    summary: "Overwrite part of a string at key starting at the specified offset",
    since: "2.2.0",
    complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
  },
  incr: { summary: "Increment the integer value of a key by one", since: "1.0.0", complexity: "O(1)" },
  decr: { summary: "Decrement the integer value of a key by one", since: "1.0.0", complexity: "O(1)" },
  incrby: { summary: "Increment the integer value of a key by the given amount", since: "1.0.0", complexity: "O(1)" },
  decrby: { summary: "Decrement the integer value of a key by the given number", since: "1.0.0", complexity: "O(1)" },
  incrbyfloat: {
    summary: "Increment the float value of a key by the given amount",
    since: "2.6.0",
    complexity: "O(1)",
  },
  lcs: {
    summary: "Find longest common substring",
    since: "7.0.0",
    complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
  },

  // --- bitmap ----------------------------------------------------------------
  setbit: {
    summary: "Sets or clears the bit at offset in the string value stored at key",
    since: "2.2.0",
    complexity: "O(1)",
  },
  getbit: {
    summary: "Returns the bit value at offset in the string value stored at key",
    since: "2.2.0",
    complexity: "O(1)",
  },
  bitcount: { summary: "Count set bits in a string", since: "2.6.0", complexity: "O(N)" },
  bitpos: { summary: "Find first bit set or clear in a string", since: "2.8.7", complexity: "O(N)" },
  bitop: { summary: "Perform bitwise operations between strings", since: "2.6.0", complexity: "O(N)" },
  bitfield: {
    summary: "Perform arbitrary bitfield integer operations on strings",
    since: "3.2.0",
    complexity: "O(1) for each subcommand specified",
  },
  bitfield_ro: {
    summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
    since: "6.0.0",
    complexity: "O(1) for each subcommand specified",
  },

  // --- list ------------------------------------------------------------------
  lpush: {
    summary: "Prepend one or multiple elements to a list",
    since: "1.0.0",
    complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
  },
  rpush: {
    summary: "Append one or multiple elements to a list",
    since: "1.0.0",
    complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
  },
  lpushx: {
    summary: "Prepend an element to a list, only if the list exists",
    since: "2.2.0",
    complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
  },
  rpushx: {
    summary: "Append an element to a list, only if the list exists",
    since: "2.2.0",
    complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
  },
  lpop: {
    summary: "Remove and get the first elements in a list",
    since: "1.0.0",
    complexity: "O(N) where N is the number of elements returned",
  },
  rpop: {
    summary: "Remove and get the last elements in a list",
    since: "1.0.0",
    complexity: "O(N) where N is the number of elements returned",
  },
  lmpop: {
    summary: "Pop elements from a list",
    since: "7.0.0",
    complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
  },
  llen: { summary: "Get the length of a list", since: "1.0.0", complexity: "O(1)" },
  lrange: {
    summary: "Get a range of elements from a list",
    since: "1.0.0",
    complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
  },
  lindex: {
    summary: "Get an element from a list by its index",
    since: "1.0.0",
    complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
  },
  lpos: {
    summary: "Return the index of matching elements on a list",
    since: "6.0.6",
    complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
  },
  lset: {
    summary: "Set the value of an element in a list by its index",
    since: "1.0.0",
    complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
  },
  linsert: {
    summary: "Insert an element before or after another element in a list",
    since: "2.2.0",
    complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
  },
  lrem: {
    summary: "Remove elements from a list",
    since: "1.0.0",
    complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.",
  },
  ltrim: {
    summary: "Trim a list to the specified range",
    since: "1.0.0",
    complexity: "O(N) where N is the number of elements to be removed by the operation.",
  },
  lmove: {
    summary: "Pop an element from a list, push it to another list and return it",
    since: "6.2.0",
    complexity: "O(1)",
  },
  rpoplpush: {
    summary: "Remove the last element in a list, prepend it to another list and return it",
    since: "1.2.0",
    complexity: "O(1)",
  },
  blpop: {
    summary: "Remove and get the first element in a list, or block until one is available",
    since: "2.0.0",
    complexity: "O(N) where N is the number of provided keys.",
  },
  brpop: {
    summary: "Remove and get the last element in a list, or block until one is available",
    since: "2.0.0",
    complexity: "O(N) where N is the number of provided keys.",
  },
  blmove: {
    summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
    since: "6.2.0",
    complexity: "O(1)",
  },
  brpoplpush: {
    summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
    since: "2.2.0",
    complexity: "O(1)",
  },
  blmpop: {
    summary: "Pop elements from a list, or block until one is available",
    since: "7.0.0",
    complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
  },
  sort: {
    summary: "Sort the elements in a list, set or sorted set",
    since: "1.0.0",
    complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
  },
  sort_ro: {
    summary: "Sort the elements in a list, set or sorted set. Read-only variant of SORT.",
    since: "7.0.0",
    complexity: "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).",
  },

  // --- hash ------------------------------------------------------------------
  hset: {
    summary: "Set the string value of a hash field",
    since: "2.0.0",
    complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
  },
  hmset: {
    summary: "Set multiple hash fields to multiple values",
    since: "2.0.0",
    complexity: "O(N) where N is the number of fields being set.",
  },
  hsetnx: {
    summary: "Set the value of a hash field, only if the field does not exist",
    since: "2.0.0",
    complexity: "O(1)",
  },
  hincrby: {
    summary: "Increment the integer value of a hash field by the given number",
    since: "2.0.0",
    complexity: "O(1)",
  },
  hincrbyfloat: {
    summary: "Increment the float value of a hash field by the given amount",
    since: "2.6.0",
    complexity: "O(1)",
  },
  hget: { summary: "Get the value of a hash field", since: "2.0.0", complexity: "O(1)" },
  hmget: {
    summary: "Get the values of all the given hash fields",
    since: "2.0.0",
    complexity: "O(N) where N is the number of fields being requested.",
  },
  hlen: { summary: "Get the number of fields in a hash", since: "2.0.0", complexity: "O(1)" },
  hstrlen: { summary: "Get the length of the value of a hash field", since: "3.2.0", complexity: "O(1)" },
  hexists: { summary: "Determine if a hash field exists", since: "2.0.0", complexity: "O(1)" },
  hkeys: {
    summary: "Get all the fields in a hash",
    since: "2.0.0",
    complexity: "O(N) where N is the size of the hash.",
  },
  hvals: {
    summary: "Get all the values in a hash",
    since: "2.0.0",
    complexity: "O(N) where N is the size of the hash.",
  },
  hgetall: {
    summary: "Get all the fields and values in a hash",
    since: "2.0.0",
    complexity: "O(N) where N is the size of the hash.",
  },
  hdel: {
    summary: "Delete one or more hash fields",
    since: "2.0.0",
    complexity: "O(N) where N is the number of fields to be removed.",
  },
  hrandfield: {
    summary: "Get one or multiple random fields from a hash",
    since: "6.2.0",
    complexity: "O(N) where N is the number of fields returned",
  },
  hscan: {
    summary: "Incrementally iterate hash fields and associated values",
    since: "2.8.0",
    complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
  },
  // --- hash field expiration (Redis 7.4 and 8.0, src/commands/hash-expiry.ts) ---------
  hexpire: {
    summary: "Set expiry for hash field using relative time to expire (seconds)",
    since: "7.4.0",
    complexity: "O(N) where N is the number of specified fields",
  },
  hpexpire: {
    summary: "Set expiry for hash field using relative time to expire (milliseconds)",
    since: "7.4.0",
    complexity: "O(N) where N is the number of specified fields",
  },
  hexpireat: {
    summary: "Set expiry for hash field using an absolute Unix timestamp (seconds)",
    since: "7.4.0",
    complexity: "O(N) where N is the number of specified fields",
  },
  hpexpireat: {
    summary: "Set expiry for hash field using an absolute Unix timestamp (milliseconds)",
    since: "7.4.0",
    complexity: "O(N) where N is the number of specified fields",
  },
  httl: {
    summary: "Returns the TTL in seconds of a hash field.",
    since: "7.4.0",
    complexity: "O(N) where N is the number of specified fields",
  },
  hpttl: {
    summary: "Returns the TTL in milliseconds of a hash field.",
    since: "7.4.0",
    complexity: "O(N) where N is the number of specified fields",
  },
  hexpiretime: {
    summary: "Returns the expiration time of a hash field as a Unix timestamp, in seconds.",
    since: "7.4.0",
    complexity: "O(N) where N is the number of specified fields",
  },
  hpexpiretime: {
    summary: "Returns the expiration time of a hash field as a Unix timestamp, in msec.",
    since: "7.4.0",
    complexity: "O(N) where N is the number of specified fields",
  },
  hpersist: {
    summary: "Removes the expiration time for each specified field",
    since: "7.4.0",
    complexity: "O(N) where N is the number of specified fields",
  },
  hgetex: {
    summary: "Get the value of one or more fields of a given hash key, and optionally set their expiration.",
    since: "8.0.0",
    complexity: "O(N) where N is the number of specified fields",
  },
  hsetex: {
    summary: "Set the value of one or more fields of a given hash key, and optionally set their expiration.",
    since: "8.0.0",
    complexity: "O(N) where N is the number of fields being set.",
  },
  hgetdel: {
    summary: "Returns the value of a field and deletes it from the hash.",
    since: "8.0.0",
    complexity: "O(N) where N is the number of specified fields",
  },

  // --- set -------------------------------------------------------------------
  sadd: {
    summary: "Add one or more members to a set",
    since: "1.0.0",
    complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
  },
  srem: {
    summary: "Remove one or more members from a set",
    since: "1.0.0",
    complexity: "O(N) where N is the number of members to be removed.",
  },
  scard: { summary: "Get the number of members in a set", since: "1.0.0", complexity: "O(1)" },
  sismember: { summary: "Determine if a given value is a member of a set", since: "1.0.0", complexity: "O(1)" },
  smismember: {
    summary: "Returns the membership associated with the given elements for a set",
    since: "6.2.0",
    complexity: "O(N) where N is the number of elements being checked for membership",
  },
  smembers: {
    summary: "Get all the members in a set",
    since: "1.0.0",
    complexity: "O(N) where N is the set cardinality.",
  },
  srandmember: {
    summary: "Get one or multiple random members from a set",
    since: "1.0.0",
    complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
  },
  spop: {
    summary: "Remove and return one or multiple random members from a set",
    since: "1.0.0",
    complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
  },
  smove: { summary: "Move a member from one set to another", since: "1.0.0", complexity: "O(1)" },
  sinter: {
    summary: "Intersect multiple sets",
    since: "1.0.0",
    complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
  },
  sintercard: {
    summary: "Intersect multiple sets and return the cardinality of the result",
    since: "7.0.0",
    complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
  },
  sinterstore: {
    summary: "Intersect multiple sets and store the resulting set in a key",
    since: "1.0.0",
    complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
  },
  sunion: {
    summary: "Add multiple sets",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of elements in all given sets.",
  },
  sunionstore: {
    summary: "Add multiple sets and store the resulting set in a key",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of elements in all given sets.",
  },
  sdiff: {
    summary: "Subtract multiple sets",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of elements in all given sets.",
  },
  sdiffstore: {
    summary: "Subtract multiple sets and store the resulting set in a key",
    since: "1.0.0",
    complexity: "O(N) where N is the total number of elements in all given sets.",
  },
  sscan: {
    summary: "Incrementally iterate Set elements",
    since: "2.8.0",
    complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
  },

  // --- sortedset -------------------------------------------------------------
  zadd: {
    summary: "Add one or more members to a sorted set, or update its score if it already exists",
    since: "1.2.0",
    complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
  },
  zincrby: {
    summary: "Increment the score of a member in a sorted set",
    since: "1.2.0",
    complexity: "O(log(N)) where N is the number of elements in the sorted set.",
  },
  zrem: {
    summary: "Remove one or more members from a sorted set",
    since: "1.2.0",
    complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
  },
  zremrangebyrank: {
    summary: "Remove all members in a sorted set within the given indexes",
    since: "2.0.0",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
  },
  zremrangebyscore: {
    summary: "Remove all members in a sorted set within the given scores",
    since: "1.2.0",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
  },
  zremrangebylex: {
    summary: "Remove all members in a sorted set between the given lexicographical range",
    since: "2.8.9",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
  },
  zcard: { summary: "Get the number of members in a sorted set", since: "1.2.0", complexity: "O(1)" },
  zscore: {
    summary: "Get the score associated with the given member in a sorted set",
    since: "1.2.0",
    complexity: "O(1)",
  },
  zmscore: {
    summary: "Get the score associated with the given members in a sorted set",
    since: "6.2.0",
    complexity: "O(N) where N is the number of members being requested.",
  },
  zrank: { summary: "Determine the index of a member in a sorted set", since: "2.0.0", complexity: "O(log(N))" },
  zrevrank: {
    summary: "Determine the index of a member in a sorted set, with scores ordered from high to low",
    since: "2.0.0",
    complexity: "O(log(N))",
  },
  zcount: {
    summary: "Count the members in a sorted set with scores within the given values",
    since: "2.0.0",
    complexity: "O(log(N)) with N being the number of elements in the sorted set.",
  },
  zlexcount: {
    summary: "Count the number of members in a sorted set between a given lexicographical range",
    since: "2.8.9",
    complexity: "O(log(N)) with N being the number of elements in the sorted set.",
  },
  zrange: {
    summary: "Return a range of members in a sorted set",
    since: "1.2.0",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
  },
  zrevrange: {
    summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low",
    since: "1.2.0",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
  },
  zrangebyscore: {
    summary: "Return a range of members in a sorted set, by score",
    since: "1.0.5",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
  },
  zrevrangebyscore: {
    summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low",
    since: "2.2.0",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
  },
  zrangebylex: {
    summary: "Return a range of members in a sorted set, by lexicographical range",
    since: "2.8.9",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
  },
  zrevrangebylex: {
    summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
    since: "2.8.9",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
  },
  zrangestore: {
    summary: "Store a range of members from sorted set into another key",
    since: "6.2.0",
    complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
  },
  zpopmin: {
    summary: "Remove and return members with the lowest scores in a sorted set",
    since: "5.0.0",
    complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
  },
  zpopmax: {
    summary: "Remove and return members with the highest scores in a sorted set",
    since: "5.0.0",
    complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
  },
  zmpop: {
    summary: "Remove and return members with scores in a sorted set",
    since: "7.0.0",
    complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
  },
  bzpopmin: {
    summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
    since: "5.0.0",
    complexity: "O(log(N)) with N being the number of elements in the sorted set.",
  },
  bzpopmax: {
    summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
    since: "5.0.0",
    complexity: "O(log(N)) with N being the number of elements in the sorted set.",
  },
  bzmpop: {
    summary: "Remove and return members with scores in a sorted set or block until one is available",
    since: "7.0.0",
    complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
  },
  zrandmember: {
    summary: "Get one or multiple random elements from a sorted set",
    since: "6.2.0",
    complexity: "O(N) where N is the number of elements returned",
  },
  zunion: {
    summary: "Add multiple sorted sets",
    since: "6.2.0",
    complexity: "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
  },
  zunionstore: {
    summary: "Add multiple sorted sets and store the resulting sorted set in a new key",
    since: "2.0.0",
    complexity: "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
  },
  zinter: {
    summary: "Intersect multiple sorted sets",
    since: "6.2.0",
    complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
  },
  zinterstore: {
    summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key",
    since: "2.0.0",
    complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
  },
  zdiff: {
    summary: "Subtract multiple sorted sets",
    since: "6.2.0",
    complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
  },
  zdiffstore: {
    summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key",
    since: "6.2.0",
    complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
  },
  zintercard: {
    summary: "Intersect multiple sorted sets and return the cardinality of the result",
    since: "7.0.0",
    complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
  },
  zscan: {
    summary: "Incrementally iterate sorted sets elements and associated scores",
    since: "2.8.0",
    complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
  },
  // --- geo ------------------------------------------------------------------
  geoadd: {
    summary: "Add one or more geospatial items in the geospatial index represented using a sorted set",
    since: "3.2.0",
    complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
  },
  geopos: {
    summary: "Returns longitude and latitude of members of a geospatial index",
    since: "3.2.0",
    complexity: "O(N) where N is the number of members requested.",
  },
  geodist: {
    summary: "Returns the distance between two members of a geospatial index",
    since: "3.2.0",
    complexity: "O(log(N))",
  },
  geohash: {
    summary: "Returns members of a geospatial index as standard geohash strings",
    since: "3.2.0",
    complexity: "O(log(N)) for each member requested, where N is the number of elements in the sorted set.",
  },
  geosearch: {
    summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.",
    since: "6.2.0",
    complexity: "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape",
  },
  geosearchstore: {
    summary: "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.",
    since: "6.2.0",
    complexity: "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape",
  },
  georadius: {
    summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point",
    since: "3.2.0",
    complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
  },
  georadius_ro: {
    summary: "A read-only variant for GEORADIUS",
    since: "3.2.10",
    complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
  },
  georadiusbymember: {
    summary: "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member",
    since: "3.2.0",
    complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
  },
  georadiusbymember_ro: {
    summary: "A read-only variant for GEORADIUSBYMEMBER",
    since: "3.2.10",
    complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
  },

  // --- hyperloglog -------------------------------------------------------------
  pfadd: { summary: "Adds the specified elements to the specified HyperLogLog.", since: "2.8.9", complexity: "O(1) to add every element." },
  pfcount: {
    summary: "Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).",
    since: "2.8.9",
    complexity: "O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
  },
  pfmerge: {
    summary: "Merge N different HyperLogLogs into a single one.",
    since: "2.8.9",
    complexity: "O(N) to merge N HyperLogLogs, but with high constant times.",
  },
  pfdebug: { summary: "Internal commands for debugging HyperLogLog values", since: "2.8.9", complexity: "N/A" },
  pfselftest: { summary: "An internal command for testing HyperLogLog values", since: "2.8.9", complexity: "N/A" },

  // --- scripting -------------------------------------------------------------
  eval: { summary: "Execute a Lua script server side", since: "2.6.0", complexity: "Depends on the script that is executed." },
  evalsha: { summary: "Execute a Lua script server side", since: "2.6.0", complexity: "Depends on the script that is executed." },
  eval_ro: { summary: "Execute a read-only Lua script server side", since: "7.0.0", complexity: "Depends on the script that is executed." },
  evalsha_ro: { summary: "Execute a read-only Lua script server side", since: "7.0.0", complexity: "Depends on the script that is executed." },
  script: { summary: "A container for Lua scripts management commands", since: "2.6.0", complexity: "Depends on subcommand." },
  // --- functions (FUNCTION, FCALL) -------------------------------------------
  fcall: { summary: "Invoke a function", since: "7.0.0", complexity: "Depends on the function that is executed." },
  fcall_ro: { summary: "Invoke a read-only function", since: "7.0.0", complexity: "Depends on the function that is executed." },
  function: { summary: "A container for function commands", since: "7.0.0", complexity: "Depends on subcommand." },

  // --- sentinel (failover monitors) ------------------------------------------
  sentinel: { summary: "A container for Redis Sentinel commands", since: "2.8.4" },
};

/** The docs of a declared command; undefined only for a command missing here (a bug the table test catches). */
export function docsOf(name: string): CommandDocs | undefined {
  return Object.hasOwn(COMMAND_DOCS, name) ? COMMAND_DOCS[name] : undefined;
}
