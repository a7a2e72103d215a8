// The resolv.conf given to containers: loopback resolvers dropped, systemd-resolved's upstream list or Docker's fallback.
import assert from "node:assert/strict";
import { test } from "node:test";
import { containerResolvConf } from "../../src/runner/containers/runtime/container-resolv-conf.js";

test("a host resolver the containers can reach is kept with the search and options lines", () => {
  const host = "search example.test\nnameserver 10.0.0.53\noptions ndots:2\n";
  assert.equal(containerResolvConf(host), host);
});

test("loopback resolvers are dropped when another one is listed", () => {
  assert.equal(
    containerResolvConf("nameserver 127.0.0.1\nnameserver 192.0.2.1\nnameserver ::1\n"),
    "nameserver 192.0.2.1\n",
  );
});

test("systemd-resolved's stub gives way to its upstream list", () => {
  const stub = "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lan\n";
  const upstream = "nameserver 192.0.2.10\nnameserver 192.0.2.11\nsearch lan\n";
  assert.equal(containerResolvConf(stub, upstream), upstream);
});

test("only loopback resolvers and no upstream list: Docker's public fallback, the other lines kept", () => {
  assert.equal(
    containerResolvConf("nameserver 127.0.0.53\nsearch lan\n", "nameserver 127.0.0.1\n"),
    "search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n",
  );
  assert.equal(containerResolvConf(""), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
});
