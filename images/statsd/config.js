// statsd for the stack: counters, timers and gauges in over UDP 8125, sent to
// Graphite's plaintext port every second, Graphite's finest retention. (Flushing
// every 2 s into 2 s slots lost data: statsd stamps a flush with its time rounded
// to the second, so two flushes 2 s apart could land in one slot, the second
// overwriting the first.) With legacyNamespace false the names are
// stats.counters.<name>.count / .rate, stats.timers.<name>.*, stats.gauges.<name>.
{
  port: 8125,
  address: "0.0.0.0",
  mgmt_port: 8126,
  mgmt_address: "0.0.0.0",
  flushInterval: 1000,
  percentThreshold: [90, 99],

  backends: ["./backends/graphite"],
  // GRAPHITE is host:port (graphite:2003 on one host's network, the data host's
  // address and published port across a fleet); statsd evals this file, so
  // process.env is in scope.
  graphiteHost: (process.env.GRAPHITE || "graphite:2003").split(":")[0],
  graphitePort: Number((process.env.GRAPHITE || "graphite:2003").split(":")[1]),
  graphite: {
    legacyNamespace: false,
    globalPrefix: "stats"
  },

  // a counter not seen since the last flush is sent as 0 (not dropped)
  deleteIdleStats: false,
  debug: false,
  dumpMessages: false
}
