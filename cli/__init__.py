"""The command-line tools: the ``oversight`` CLI, the monitoring feed simulator, benchmark, load test, user and
role administration. They may import every layer; no layer imports them."""
