// SPDX-License-Identifier: GPL-2.0
//
// svclab's socket-level load balancer, laid out like Cilium's kube-proxy replacement
// (bpf/lib/lb.h, bpf/bpf_sock.c): Services live in hash maps keyed by VIP, port, protocol and
// slot; slot 0 is the master entry that carries the backend count, slots 1..count carry backend
// ids; a connect() from a socket in the lab's cgroup to a VIP is rewritten to a random backend.
//
// The Rust side mirrors every struct in src/abi.rs and asserts the same sizes, so a change here
// that is not made there fails the unit tests instead of corrupting maps.

#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

// Sizes the Rust side (src/abi.rs) asserts too.
#define LB4_KEY_SIZE 12
#define LB4_SERVICE_SIZE 12
#define LB4_BACKEND_SIZE 8
#define LB4_REVERSE_NAT_SIZE 8

// Default capacities; the loader overrides max_entries from the scenario's size.
#define LB4_SERVICES_DEFAULT 65536
#define LB4_BACKENDS_DEFAULT 65536
#define LB4_REVNAT_DEFAULT 65536

struct lb4_key {
	__be32 address;     // VIP
	__be16 dport;       // Service port
	__u8 proto;         // IPPROTO_TCP / IPPROTO_UDP
	__u8 pad;
	__u16 backend_slot; // 0 = master entry, 1..count = backend slots
	__u16 pad2;
};

struct lb4_service {
	__u32 backend_id;    // slots 1..count: the backend; master: 0
	__u16 count;         // master: number of backend slots; slots: 0
	__u16 rev_nat_index; // index into LB4_REVERSE_NAT, the same on every slot of a Service
	__u8 flags;
	__u8 pad[3];
};

struct lb4_backend {
	__be32 address;
	__be16 port;
	__u8 proto;
	__u8 flags;
};

struct lb4_reverse_nat {
	__be32 address; // VIP, to translate replies and getpeername() back
	__be16 port;
	__u16 pad;
};

_Static_assert(sizeof(struct lb4_key) == LB4_KEY_SIZE, "lb4_key size");
_Static_assert(sizeof(struct lb4_service) == LB4_SERVICE_SIZE, "lb4_service size");
_Static_assert(sizeof(struct lb4_backend) == LB4_BACKEND_SIZE, "lb4_backend size");
_Static_assert(sizeof(struct lb4_reverse_nat) == LB4_REVERSE_NAT_SIZE, "lb4_reverse_nat size");

/*
 * BPF_F_NO_PREALLOC on every map, as Cilium creates its LB maps by default
 * (--preallocate-bpf-maps=false): memory follows the Services programmed, not max_entries.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lb4_key);
	__type(value, struct lb4_service);
	__uint(max_entries, LB4_SERVICES_DEFAULT);
} LB4_SERVICES SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct lb4_backend);
	__uint(max_entries, LB4_BACKENDS_DEFAULT);
} LB4_BACKENDS SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u16);
	__type(value, struct lb4_reverse_nat);
	__uint(max_entries, LB4_REVNAT_DEFAULT);
} LB4_REVERSE_NAT SEC(".maps");

// Return values of cgroup/connect4: 1 lets connect() go on, 0 fails it with EPERM.
#define SYS_PROCEED 1
#define SYS_REJECT 0

/*
 * What the program saw that a consistent map could not show it, counted per kind (an ARRAY the
 * lab reads back). Each is a race with a concurrent update of the same Service: a slot or
 * backend deleted between two lookups, or an element the kernel recycled for another key while
 * this program held a pointer to it (hash map updates free the old element at once).
 */
#define LB4_EV_SLOT_MISSING 0
#define LB4_EV_BACKEND_MISSING 1
#define LB4_EV_INCONSISTENT 2
#define LB4_EV_REJECTED 3
#define LB4_EVENTS_MAX 4

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, LB4_EVENTS_MAX);
} LB4_EVENTS SEC(".maps");

static __always_inline void lb4_event(__u32 kind)
{
	__u64 *count = bpf_map_lookup_elem(&LB4_EVENTS, &kind);

	if (count)
		__sync_fetch_and_add(count, 1);
}

/*
 * Lookups that met a race start over from the master entry, which by then holds the new count.
 * Cilium's socket LB returns -EHOSTUNREACH instead (REASON_LB_NO_BACKEND_SLOT and
 * REASON_LB_NO_BACKEND in bpf_sock.c); svclab retries so that an endpoint update of a live
 * Service fails no connection, and counts every retry so the race stays visible.
 */
#define LB4_ATTEMPTS 4

SEC("cgroup/connect4")
int svclab_connect4(struct bpf_sock_addr *ctx)
{
	struct lb4_key key = {};
	struct lb4_service *svc;
	struct lb4_service *slot;
	struct lb4_backend *backend;
	__u16 count, rev_nat_index;
	__u32 backend_id;
	int attempt;

	key.address = ctx->user_ip4;
	// user_port holds the port in network order in its first two bytes.
	key.dport = (__be16)ctx->user_port;
	key.proto = (__u8)ctx->protocol;

	for (attempt = 0; attempt < LB4_ATTEMPTS; attempt++) {
		key.backend_slot = 0;
		svc = bpf_map_lookup_elem(&LB4_SERVICES, &key);
		if (!svc)
			return SYS_PROCEED; // not a VIP: leave the connection alone
		count = svc->count;
		rev_nat_index = svc->rev_nat_index;
		if (svc->backend_id != 0) {
			// A master never carries a backend id: this element was recycled as a slot.
			lb4_event(LB4_EV_INCONSISTENT);
			continue;
		}
		if (count == 0)
			return SYS_REJECT; // a Service without endpoints refuses, as Cilium's does

		key.backend_slot = 1 + (bpf_get_prandom_u32() % count);
		slot = bpf_map_lookup_elem(&LB4_SERVICES, &key);
		if (!slot) {
			lb4_event(LB4_EV_SLOT_MISSING); // deleted after the count was read
			continue;
		}
		backend_id = slot->backend_id;
		if (backend_id == 0 || slot->rev_nat_index != rev_nat_index) {
			// Not a slot of this Service: an element recycled for another key.
			lb4_event(LB4_EV_INCONSISTENT);
			continue;
		}
		backend = bpf_map_lookup_elem(&LB4_BACKENDS, &backend_id);
		if (!backend) {
			lb4_event(LB4_EV_BACKEND_MISSING); // unreferenced and deleted after the slot was read
			continue;
		}
		ctx->user_ip4 = backend->address;
		ctx->user_port = (__u32)backend->port;
		return SYS_PROCEED;
	}
	lb4_event(LB4_EV_REJECTED);
	return SYS_REJECT;
}

char LICENSE[] SEC("license") = "GPL";
