"""VideoPlanet on one machine: the embedded NATS server, the stack supervisor (``vp-stack``)
and the demo client (``vp-demo``). Tests and ``make demo`` use it; no service image ships it."""
