// The seeds' echo bot ("Hello" -> "Hi <@USER>!" in the thread, through
// chat.postMessage) on Node's @slack/rtm-api 7.0.4, or with SLACK_APP_TOKEN
// set on @slack/socket-mode 2.0.7 (each envelope acked with ack() first, as
// its docs say): the Node peer of slackrtm-bench-bot, instrumented the same
// way for bench/driver.py: one JSON report line per simulator flood on
// stdout (and on SIGUSR2).
// usage: node bot.js --api-url=URL [--clients=N]; tokens from SLACK_BOT_TOKEN
// and (Socket Mode) SLACK_APP_TOKEN.
'use strict';

const { RTMClient, LogLevel } = require('@slack/rtm-api');
const { SocketModeClient } = require('@slack/socket-mode');
const { WebClient } = require('@slack/web-api');

// process.hrtime is CLOCK_MONOTONIC, the clock the simulator stamps with.
const nowNs = () => Number(process.hrtime.bigint());

// Log-linear histogram of nanoseconds, the same buckets as the C++ bot's.
class Histogram {
  constructor() { this.buckets = new Float64Array(64 + 58 * 32); this.max = 0; }
  static index(v) {
    if (v < 64) return Math.floor(v);
    let e = Math.floor(Math.log2(v));
    if (2 ** e > v) e -= 1;
    if (2 ** (e + 1) <= v) e += 1;
    return 64 + (e - 6) * 32 + (Math.floor(v / 2 ** (e - 5)) & 31);
  }
  static middle(i) {
    if (i < 64) return i;
    const e = Math.floor((i - 64) / 32) + 6;
    const s = (i - 64) % 32;
    return 2 ** e + s * 2 ** (e - 5) + 2 ** (e - 6);
  }
  add(ns) {
    const v = Math.max(ns, 0);
    this.buckets[Histogram.index(v)] += 1;
    if (v > this.max) this.max = v;
  }
  quantile(q) {
    let total = 0;
    for (const b of this.buckets) total += b;
    if (total === 0) return 0;
    const rank = Math.floor(q * total);
    let seen = 0;
    for (let i = 0; i < this.buckets.length; i += 1) {
      seen += this.buckets[i];
      if (seen > rank) return Math.min(Histogram.middle(i), this.max);
    }
    return this.max;
  }
}

class FloodStats {
  constructor() { this.flood = 0; this.begin(0, 0); }
  begin(flood, total) {
    this.flood = flood; this.total = total;
    this.seen = 0; this.hellos = 0; this.replies = 0; this.replyErrors = 0;
    this.firstNs = 0; this.lastNs = 0; this.replyLastNs = 0;
    this.latency = new Histogram(); this.roundTrip = new Histogram();
    this.reported = false;
  }
  onSeen(flood, total, sentNs, atNs, hello) {
    if (flood !== this.flood) this.begin(flood, total);
    this.latency.add(atNs - sentNs);
    if (this.firstNs === 0 || atNs < this.firstNs) this.firstNs = atNs;
    if (atNs > this.lastNs) this.lastNs = atNs;
    if (hello) this.hellos += 1;
    this.seen += 1;
    this.maybeReport();
  }
  onReplied(sentNs, ok) {
    const at = nowNs();
    this.roundTrip.add(at - sentNs);
    if (at > this.replyLastNs) this.replyLastNs = at;
    if (!ok) this.replyErrors += 1;
    this.replies += 1;
    this.maybeReport();
  }
  maybeReport() {
    if (this.seen < this.total || this.replies < this.hellos || this.reported) return;
    this.reported = true;
    this.report(false);
  }
  report(partial) {
    process.stdout.write(`${JSON.stringify({
      flood: this.flood, partial, seen: this.seen, total: this.total,
      hellos: this.hellos, replies: this.replies, reply_errors: this.replyErrors,
      first_ns: this.firstNs, last_ns: this.lastNs, reply_last_ns: this.replyLastNs,
      lat_p50_ns: this.latency.quantile(0.5), lat_p99_ns: this.latency.quantile(0.99),
      lat_max_ns: this.latency.max,
      rtt_p50_ns: this.roundTrip.quantile(0.5), rtt_p99_ns: this.roundTrip.quantile(0.99),
      rtt_max_ns: this.roundTrip.max,
    })}\n`);
  }
}

// The seeds' echo logic, counted; `at` is when the event reached the bot.
async function onMessage(stats, web, event, at, selfId) {
  if (typeof event.text !== 'string') return;
  const hello = event.text.includes('Hello') && !event.bot_id;
  const flood = event.sim_flood || 0;
  if (flood > 0) stats.onSeen(flood, event.sim_total, event.sim_sent_ns, at, hello);
  if (!hello || !event.user || event.user === selfId) return;
  let ok = true;
  try {
    await web.chat.postMessage({
      channel: event.channel, text: `Hi <@${event.user}>!`, thread_ts: event.ts,
    });
  } catch (error) {
    ok = false;
    process.stderr.write(`bot.js: could not reply: ${error.message}\n`);
  }
  if (flood > 0) stats.onReplied(event.sim_sent_ns, ok);
}

// One client: over RTM, or over Socket Mode when there is an app token.
function startClient(stats, token, appToken, apiUrl) {
  const web = new WebClient(token, { slackApiUrl: apiUrl, logLevel: LogLevel.ERROR });
  if (!appToken) {
    const rtm = new RTMClient(token, { slackApiUrl: apiUrl, logLevel: LogLevel.ERROR });
    rtm.on('message', (event) => onMessage(stats, web, event, nowNs(), rtm.activeUserId));
    return rtm;
  }
  const socket = new SocketModeClient({
    appToken, clientOptions: { slackApiUrl: apiUrl }, logLevel: LogLevel.ERROR,
  });
  socket.on('message', async ({ event, ack }) => {
    const at = nowNs();
    await ack();
    await onMessage(stats, web, event, at);
  });
  return socket;
}

function main() {
  let apiUrl = process.env.SLACK_API_URL || 'https://slack.com/api/';
  let clients = 1;
  for (const arg of process.argv.slice(2)) {
    if (arg.startsWith('--api-url=')) apiUrl = arg.slice('--api-url='.length);
    else if (arg.startsWith('--clients=')) clients = Number(arg.slice('--clients='.length));
    else { process.stderr.write(`bot.js: unknown argument ${arg}\n`); process.exit(2); }
  }
  const token = process.env.SLACK_BOT_TOKEN;
  if (!token) { process.stderr.write('bot.js: set SLACK_BOT_TOKEN\n'); process.exit(2); }
  const appToken = process.env.SLACK_APP_TOKEN || '';

  const stats = new FloodStats();
  process.on('SIGUSR2', () => stats.report(true));
  const bots = [];
  for (let i = 0; i < clients; i += 1) bots.push(startClient(stats, token, appToken, apiUrl));
  const stop = () => {
    Promise.allSettled(bots.map((bot) => bot.disconnect())).then(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  for (const bot of bots) {
    bot.start().catch((error) => {
      process.stderr.write(`bot.js: could not connect: ${error.message}\n`);
    });
  }
}

main();
