-- Prints the figures the benchmark reads: median and p99 latency (ms), requests/s, non-2xx answers.
done = function(summary, latency, requests)
  io.write(string.format("p50 %.2f\n", latency:percentile(50) / 1000))
  io.write(string.format("p99 %.2f\n", latency:percentile(99) / 1000))
  io.write(string.format("rps %.2f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("non2xx %d\n", summary.errors.status))
end
