//! The Lua scripts the nodes run in Redis, each one atomic there. Time is Redis's own clock
//! (`TIME`), so the nodes' clocks need not agree.

use std::sync::LazyLock;

use redis::Script;

/// Takes a connection lease at a site when fewer than its limit are held; when the site is
/// full, publishes that it is wanted, once per mark time however many wait.
/// KEYS: the site's lease set, its wanted mark, the settling mark. ARGV: lease milliseconds,
/// the limit, the lease's name, the mark's milliseconds, the wanted channel, the site.
/// Returns 1 when taken, 0 when the site is full, -1 while the nodes put back the leases this
/// Redis lost (the caller keeps to its share meanwhile).
const ACQUIRE_LUA: &str = r"
if redis.call('EXISTS', KEYS[3]) == 1 then
  return -1
end
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[4]) then
    redis.call('PUBLISH', ARGV[5], ARGV[6])
  end
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
";

/// Renews (or, after Redis lost it, adds back) a lease the node still holds.
/// KEYS: the site's lease set. ARGV: lease milliseconds, the lease's name.
const RENEW_LUA: &str = r"
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
";

/// A message slot at a site under the generic cell rate algorithm: one message every
/// `interval` milliseconds, `burst` milliseconds early at most (0: evenly spaced).
/// KEYS: the site's theoretical arrival time. ARGV: interval, burst (both milliseconds).
/// Returns 0 when the message may go now, else the milliseconds to wait.
const RATE_LUA: &str = r"
local t = redis.call('TIME')
local now = t[1] * 1000 + t[2] / 1000
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local allowed_at = tat - tonumber(ARGV[2])
if now < allowed_at then
  return math.max(1, math.ceil(allowed_at - now))
end
local next = tat + interval
redis.call('SET', KEYS[1], tostring(next), 'PX', math.ceil(next - now) + 1000)
return 0
";

/// Run by each node on every new connection: names this Redis's generation (its state since
/// it last started empty) and, when a node finds another than it knew, marks the leases as
/// settling for a while: Redis lost the leases held, and every node puts its own back.
/// KEYS: the generation, the settling mark. ARGV: the generation the node knew ('' none yet),
/// a new name should there be none, the settling milliseconds. Returns the generation.
const GENERATION_LUA: &str = r"
local g = redis.call('GET', KEYS[1])
if not g then
  g = ARGV[2]
  redis.call('SET', KEYS[1], g)
end
if ARGV[1] ~= '' and g ~= ARGV[1] then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
end
return g
";

/// [`ACQUIRE_LUA`], with its hash computed once (calls name it by hash: `EVALSHA`).
pub static ACQUIRE: LazyLock<Script> = LazyLock::new(|| Script::new(ACQUIRE_LUA));
/// [`RENEW_LUA`], hashed once.
pub static RENEW: LazyLock<Script> = LazyLock::new(|| Script::new(RENEW_LUA));
/// [`RATE_LUA`], hashed once.
pub static RATE: LazyLock<Script> = LazyLock::new(|| Script::new(RATE_LUA));
/// [`GENERATION_LUA`], hashed once.
pub static GENERATION: LazyLock<Script> = LazyLock::new(|| Script::new(GENERATION_LUA));

/// Every script's source, loaded on each new connection.
pub const ALL: [&str; 4] = [ACQUIRE_LUA, RENEW_LUA, RATE_LUA, GENERATION_LUA];
