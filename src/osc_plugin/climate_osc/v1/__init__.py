"""The `openstack reservation ...` commands of Climate's v1 API extensions."""
