/*
 * Per-client rate limiting for the subscribe form: fixed windows in a
 * small open-addressing table.  Memory is bounded whatever the number of
 * clients: when a probe run is full, the slot with the oldest window is
 * reused (that client merely gets a fresh window).
 */
#include "base/common.h"
#include "base/hash.h"
#include "serve/serve_internal.h"

#include <arpa/inet.h>

#define RL_SLOTS 4096		/* power of two */
#define RL_PROBES 16
#define RL_KEYMAX SERVE_RATELIMIT_KEYMAX

struct rl_slot {
	char key[RL_KEYMAX];
	time_t start;
	unsigned count;
};

struct serve_ratelimit {
	pthread_mutex_t lock;
	unsigned limit, window;
	struct rl_slot slots[RL_SLOTS];
};

struct serve_ratelimit *serve_ratelimit_new(unsigned limit, unsigned window)
{
	struct serve_ratelimit *rl = xcalloc(1, sizeof(*rl));

	pthread_mutex_init(&rl->lock, NULL);
	rl->limit = limit;
	rl->window = window ? window : 1;
	return rl;
}

void serve_ratelimit_free(struct serve_ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl);
}

/* FNV-1a: keys are client addresses, not attacker-chosen at scale. */
static uint32_t rl_hash(const char *s)
{
	return fnv32(FNV32_INIT, s, strlen(s));
}

/*
 * One IPv6 host usually holds a whole /64 (RFC 4291 §2.5.1 interface
 * identifiers; privacy addresses, RFC 8981, change at will): counting
 * full addresses would give it 2^64 fresh limits.  An IPv4-mapped
 * address (::ffff:a.b.c.d, a dual-stack socket) is the IPv4 client.
 */
void serve_ratelimit_key(const char *client, char out[SERVE_RATELIMIT_KEYMAX])
{
	unsigned char a[16];
	char text[INET6_ADDRSTRLEN];

	if (strchr(client, ':') && inet_pton(AF_INET6, client, a) == 1) {
		static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

		if (!memcmp(a, mapped, sizeof(mapped))) {
			inet_ntop(AF_INET, a + 12, text, sizeof(text));
			snprintf(out, SERVE_RATELIMIT_KEYMAX, "%s", text);
			return;
		}
		memset(a + 8, 0, 8);
		inet_ntop(AF_INET6, a, text, sizeof(text));
		snprintf(out, SERVE_RATELIMIT_KEYMAX, "%s/64", text);
		return;
	}
	snprintf(out, SERVE_RATELIMIT_KEYMAX, "%s", client);
}

unsigned serve_ratelimit_hit(struct serve_ratelimit *rl, const char *client, time_t now)
{
	struct rl_slot *slot = NULL, *oldest = NULL;
	char key[RL_KEYMAX];
	uint32_t h;
	unsigned i, wait = 0;

	serve_ratelimit_key(client, key);
	h = rl_hash(key);

	pthread_mutex_lock(&rl->lock);
	for (i = 0; i < RL_PROBES; i++) {
		struct rl_slot *s = &rl->slots[(h + i) & (RL_SLOTS - 1)];

		if (!strncmp(s->key, key, RL_KEYMAX - 1)) {
			slot = s;
			break;
		}
		if (!oldest || s->start < oldest->start)
			oldest = s;
	}
	if (!slot) {
		slot = oldest;
		snprintf(slot->key, sizeof(slot->key), "%s", key);
		slot->start = now;
		slot->count = 0;
	}
	if (now - slot->start >= (time_t)rl->window || now < slot->start) {
		slot->start = now;
		slot->count = 0;
	}
	if (slot->count >= rl->limit) {
		wait = (unsigned)(slot->start + (time_t)rl->window - now);
		if (!wait)
			wait = 1;
	} else {
		slot->count++;
	}
	pthread_mutex_unlock(&rl->lock);
	return wait;
}
