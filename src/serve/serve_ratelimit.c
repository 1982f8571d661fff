/*
 * Per-client rate limiting for the subscribe form: fixed windows in a
 * small open-addressing table.  Memory is bounded whatever the number of
 * clients: when a probe run is full, the slot with the oldest window is
 * reused (that client merely gets a fresh window).
 */
#include "base/common.h"
#include "serve/serve_internal.h"

#define RL_SLOTS 4096		/* power of two */
#define RL_PROBES 16
#define RL_KEYMAX 64		/* an IPv6 address in text is at most 45 */

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
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

unsigned serve_ratelimit_hit(struct serve_ratelimit *rl, const char *key, time_t now)
{
	struct rl_slot *slot = NULL, *oldest = NULL;
	uint32_t h = rl_hash(key);
	unsigned i, wait = 0;

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
