"""OpenStackClient plugin for Climate's API extensions (free slots, host capacity over time, usage)."""
