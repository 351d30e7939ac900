"""NATS and JetStream: the connection, the declared topology, brokers and subscribers, how a
delivery is settled, dead letters, progress heartbeats."""
