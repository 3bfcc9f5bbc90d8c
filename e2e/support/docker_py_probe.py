"""docker-py 5 (Debian's python3-docker) against a daemon: networks, containers and volumes.

Run with /usr/bin/python3 and the daemon's socket path; prints one JSON object of what each step
saw, for e2e/docker-py.e2e-spec.ts to compare with Docker's answers. A step that raises records
{"error": "<class>: <message>"} instead, so one difference does not hide the others.
"""
import json
import sys

import docker
from docker.types import EndpointConfig, IPAMConfig, IPAMPool

SOCKET = sys.argv[1]
client = docker.DockerClient(base_url='unix://' + SOCKET, version='auto')
api = client.api
out = {'version': docker.__version__, 'api_version': api.api_version}


def step(name, fn):
    try:
        out[name] = fn()
    except Exception as e:  # noqa: BLE001 - every difference is a result
        out[name] = {'error': '%s: %s' % (type(e).__name__, getattr(e, 'explanation', None) or e)}


def ep_config(**kw):
    return api.create_networking_config({'pynet': api.create_endpoint_config(**kw)})


# --- networks --------------------------------------------------------------------------------
step('net_create', lambda: client.networks.create(
    'pynet', driver='bridge', labels={'team': 'py'},
    ipam=IPAMConfig(pool_configs=[IPAMPool(subnet='10.233.0.0/24', gateway='10.233.0.1')])).id)
step('net_inspect', lambda: api.inspect_network('pynet'))
step('net_names', lambda: [client.networks.create(n).name for n in ('py net', '_pynet')])
step('net_ipv6', lambda: client.networks.create(
    'py6', enable_ipv6=True,
    ipam=IPAMConfig(pool_configs=[IPAMPool(subnet='10.234.0.0/24'), IPAMPool(subnet='fd00:234::/64')])).attrs['IPAM'])

# --- containers on it: static address, MAC, aliases, links (also to one that comes later) ------
step('up', lambda: client.containers.run('busybox', 'sleep 600', name='up', detach=True, network='pynet').id)
step('client_create', lambda: api.create_container(
    'busybox', 'sleep 600', name='client', mac_address='02:42:0a:e9:00:63',
    host_config=api.create_host_config(network_mode='pynet'),
    networking_config=ep_config(ipv4_address='10.233.0.50', aliases=['cli', '-dash'], links=[('up', 'upstream'), ('later', 'future')]))['Id'])
step('client_start', lambda: api.start('client'))
step('client_inspect', lambda: api.inspect_container('client'))
step('client_mac', lambda: client.containers.get('client').exec_run('cat /sys/class/net/eth0/address').output.decode().strip())
step('resolve_before', lambda: client.containers.get('client').exec_run(['nslookup', 'future', '127.0.0.11']).exit_code)
step('later', lambda: client.containers.run('busybox', 'sleep 600', name='later', detach=True, network='pynet').id)


def lookup(name):
    r = client.containers.get('client').exec_run(['nslookup', name, '127.0.0.11'])
    return {'code': r.exit_code, 'answered': '10.233.0.' in r.output.decode()}


step('resolve', lambda: {n: lookup(n) for n in ('upstream', 'future', 'up', 'later')})
step('resolve_from_up', lambda: client.containers.get('up').exec_run(['nslookup', 'upstream', '127.0.0.11']).exit_code)
step('connect_links', lambda: (
    client.networks.get('py6').connect('client', aliases=['six'], links=[(client.containers.get('up').id, 'byid')]),
    api.inspect_container('client')['NetworkSettings']['Networks']['py6'])[1])
step('net_inspect_with', lambda: api.inspect_network('pynet'))

# --- kill / wait / exit codes / exec codes --------------------------------------------------
step('kill', lambda: (lambda c: (c.kill(), c.wait(), c.reload(), c.attrs['State'], c.remove())[1:4])(
    client.containers.run('busybox', 'sleep 600', detach=True)))
step('exit3', lambda: (lambda c: (c.wait(), c.remove())[0])(client.containers.run('busybox', 'sh -c "exit 3"', detach=True)))
step('exec_codes', lambda: [client.containers.get('up').exec_run(c).exit_code for c in ('true', 'false', 'sh -c "exit 7"', '/nonexistent', '/etc/hosts')])
step('user_at_start', lambda: (
    api.create_container('busybox', 'true', name='ghostuser', user='ghost')['Id'] is not None,
    client.containers.get('ghostuser').start()))

# --- volumes ----------------------------------------------------------------------------------
step('vol_create', lambda: client.volumes.create('pyvol', labels={'a': 'b'}).attrs)
step('vol_list', lambda: [v.name for v in client.volumes.list(filters={'label': 'a=b'})])
step('vol_missing', lambda: client.volumes.get('nope'))
step('vol_remove', lambda: client.volumes.get('pyvol').remove())
step('vol_after', lambda: [v.name for v in client.volumes.list()])

# --- an old client pinned to API 1.41 (docker 20.10's) -------------------------------------------
old = docker.APIClient(base_url='unix://' + SOCKET, version='1.41')
step('old_network', lambda: old.inspect_network('pynet'))
step('old_version', lambda: old.version(api_version=True))
step('old_dup', lambda: old.create_network('pynet', check_duplicate=False))
step('too_old', lambda: docker.APIClient(base_url='unix://' + SOCKET, version='1.23').version())

print(json.dumps(out, default=str))
