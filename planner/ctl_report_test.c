// SPDX-License-Identifier: MIT
/*
 * The agent's report and lanwire status --store (ctl_report.h): a report
 * built from a UAPI answer written and read back in both forms; every bad
 * report refused with the output untouched (wrong types, missing and extra
 * fields, duplicates, ranges, keys, endpoints, every truncation, too big,
 * too many peers); a store's index and reports loaded and shown as text
 * and JSON (up to date, behind, no report, an unreadable report, a report
 * naming another node).
 */
#include "ctl_report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

static const char uapi[] =
	"private_key=e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a\n"
	"listen_port=51820\n"
	"public_key=b85996fecc9c7f1fc6d2572a76eda11d59bcd20be8e543b15ce4bd85a8e75a33\n"
	"endpoint=203.0.113.2:34734\n"
	"last_handshake_time_sec=1700000000\n"
	"tx_bytes=1096\n"
	"rx_bytes=860\n"
	"allowed_ip=10.70.0.2/32\n"
	"public_key=58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceb7e19321376\n"
	"allowed_ip=10.70.0.3/32\n"
	"errno=0\n\n";

/* The base64 of the two keys above. */
#define KEY1 "uFmW/sycfx/G0lcqdu2hHVm80gvo5UOxXOS9hajnWjM="
#define KEY2 "WEAuaVuhdyscyTCXVfBDJR6nf9zxD75jmJzrfhkyE3Y="

static char *report_text(bool kept)
{
	struct lw_wg_status st;
	struct ctl_report r;
	json_t *o;
	char *text;

	if (status_parse(&st, uapi))
		return NULL;
	if (ctl_report_from_status(&r, 7, &st, 1700000012)) {
		status_free(&st);
		return NULL;
	}
	snprintf(r.node, sizeof(r.node), "gw1");
	r.at_ms = 1700000013000ULL;
	o = ctl_report_json(&r, kept);
	text = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	ctl_report_free(&r);
	status_free(&st);
	return text;
}

static void test_round_trip(void)
{
	char *text = report_text(false), *kept = report_text(true), err[256];
	struct ctl_report r;

	CHECK(text && kept);
	if (!text || !kept)
		return;
	CHECK_EQ(ctl_report_parse(&r, text, strlen(text), false, err,
				  sizeof(err)),
		 0);
	CHECK_EQ(r.epoch, 7);
	CHECK_EQ(r.n_peers, 2);
	if (r.n_peers == 2) {
		CHECK_EQ(r.peers[0].public_key[0], 0xb8);
		CHECK_EQ(r.peers[0].handshake_age, 12);
		CHECK(!strcmp(r.peers[0].endpoint, "203.0.113.2:34734"));
		CHECK_EQ(r.peers[0].rx_bytes, 860);
		CHECK_EQ(r.peers[0].tx_bytes, 1096);
		CHECK_EQ(r.peers[1].handshake_age, -1); /* never */
		CHECK(!strcmp(r.peers[1].endpoint, ""));
	}
	ctl_report_free(&r);
	CHECK(strstr(text, "\"handshake_age\":null") != NULL);
	/* the agent's form is not serve's, nor the other way round */
	CHECK_EQ(ctl_report_parse(&r, text, strlen(text), true, err,
				  sizeof(err)),
		 -EBADMSG);
	CHECK_EQ(ctl_report_parse(&r, kept, strlen(kept), false, err,
				  sizeof(err)),
		 -EBADMSG);
	CHECK_EQ(ctl_report_parse(&r, kept, strlen(kept), true, err,
				  sizeof(err)),
		 0);
	CHECK(!strcmp(r.node, "gw1"));
	CHECK_EQ(r.at_ms, 1700000013000ULL);
	ctl_report_free(&r);
	free(text);
	free(kept);
}

/* A handshake "in the future" (clocks) is age 0, never negative. */
static void test_future_handshake(void)
{
	struct lw_wg_status st;
	struct ctl_report r;

	CHECK_EQ(status_parse(&st, uapi), 0);
	CHECK_EQ(ctl_report_from_status(&r, 1, &st, 1600000000), 0);
	CHECK_EQ(r.peers[0].handshake_age, 0);
	ctl_report_free(&r);
	status_free(&st);
}

#define PEER(key, age, ep, rx, tx)                                            \
	"{\"public_key\":\"" key "\",\"handshake_age\":" age                   \
	",\"endpoint\":\"" ep "\",\"rx_bytes\":" rx ",\"tx_bytes\":" tx "}"
#define GOOD_PEER PEER(KEY1, "3", "198.51.100.1:51820", "1", "2")

static void test_bad(void)
{
	static const char *const bad[] = {
		"",
		"[]",
		"null",
		"{\"epoch\":1}",
		"{\"peers\":[]}",
		"{\"epoch\":1,\"peers\":[],\"extra\":1}",
		"{\"epoch\":1,\"epoch\":2,\"peers\":[]}",
		"{\"epoch\":0,\"peers\":[]}",
		"{\"epoch\":-1,\"peers\":[]}",
		"{\"epoch\":1.5,\"peers\":[]}",
		"{\"epoch\":\"1\",\"peers\":[]}",
		"{\"epoch\":9007199254740992,\"peers\":[]}",
		"{\"epoch\":1,\"peers\":{}}",
		"{\"epoch\":1,\"peers\":[1]}",
		"{\"epoch\":1,\"peers\":[" GOOD_PEER "," GOOD_PEER "]}",
		"{\"epoch\":1,\"peers\":[" PEER(KEY1, "-1", "", "0", "0") "]}",
		"{\"epoch\":1,\"peers\":[" PEER(KEY1, "1.0", "", "0", "0") "]}",
		"{\"epoch\":1,\"peers\":[" PEER(KEY1, "\"1\"", "", "0", "0") "]}",
		"{\"epoch\":1,\"peers\":[" PEER(KEY1, "1", "", "-1", "0") "]}",
		"{\"epoch\":1,\"peers\":[" PEER(KEY1, "1", "", "0", "null") "]}",
		"{\"epoch\":1,\"peers\":[" PEER(KEY1, "1", "a b", "0", "0") "]}",
		"{\"epoch\":1,\"peers\":[" PEER(KEY1, "1", "a\\nb", "0", "0") "]}",
		"{\"epoch\":1,\"peers\":[" PEER(KEY1, "1", "a\\u0000b", "0", "0") "]}",
		"{\"epoch\":1,\"peers\":[" PEER(KEY1, "1",
		  "0123456789012345678901234567890123456789012345678901234567890123",
		  "0", "0") "]}",
		/* not canonical base64, too short, not base64 */
		"{\"epoch\":1,\"peers\":[" PEER("uFmW/sycfx/G0lcqdu2hHVm80gvo5UOxXOS9hajnWjN=",
		  "1", "", "0", "0") "]}",
		"{\"epoch\":1,\"peers\":[" PEER("uFmW", "1", "", "0", "0") "]}",
		"{\"epoch\":1,\"peers\":[" PEER("!FmW/sycfx/G0lcqdu2hHVm80gvo5UOxXOS9hajnWjM=",
		  "1", "", "0", "0") "]}",
		"{\"epoch\":1,\"peers\":[{\"public_key\":\"" KEY1 "\"}]}",
		"{\"epoch\":1,\"peers\":[" GOOD_PEER "]} trailing",
	};
	struct ctl_report r, untouched;
	char err[256];
	size_t i;

	memset(&r, 0xa5, sizeof(r));
	untouched = r;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int e = ctl_report_parse(&r, bad[i], strlen(bad[i]), false, err,
					 sizeof(err));

		CHECK_EQ(e, -EBADMSG);
		if (e != -EBADMSG)
			fprintf(stderr, "  accepted: %s\n", bad[i]);
		CHECK(err[0] != '\0');
	}
	CHECK(!memcmp(&r, &untouched, sizeof(r)));
	/* the good one these were made from is accepted */
	{
		static const char good[] =
			"{\"epoch\":1,\"peers\":[" GOOD_PEER "," PEER(KEY2,
			"null", "", "0", "9007199254740991") "]}";

		CHECK_EQ(ctl_report_parse(&r, good, strlen(good), false, err,
					  sizeof(err)),
			 0);
		CHECK_EQ(r.n_peers, 2);
		ctl_report_free(&r);
	}
}

static void test_truncated_and_big(void)
{
	char *text = report_text(true), err[256], *big;
	struct ctl_report r;
	size_t len, i, n = 0;

	if (!text)
		return;
	len = strlen(text);
	for (i = 0; i < len; i++)
		n += ctl_report_parse(&r, text, i, true, err, sizeof(err)) ==
		     -EBADMSG;
	CHECK_EQ(n, len);
	free(text);
	big = malloc(CTL_MAX_REPORT + 2);
	if (!big)
		return;
	memset(big, ' ', CTL_MAX_REPORT + 1);
	memcpy(big, "{\"epoch\":1,\"peers\":[]}", 22);
	CHECK_EQ(ctl_report_parse(&r, big, CTL_MAX_REPORT + 1, false, err,
				  sizeof(err)),
		 -EMSGSIZE);
	CHECK_EQ(ctl_report_parse(&r, big, CTL_MAX_REPORT, false, err,
				  sizeof(err)),
		 0);
	ctl_report_free(&r);
	free(big);
}

/* CTL_MAX_REPORT_PEERS peers pass, one more is refused. */
static void test_many_peers(void)
{
	struct ctl_report r = { .epoch = 3 };
	size_t n = CTL_MAX_REPORT_PEERS + 1, i;
	char err[256], *text;
	json_t *o;

	r.peers = calloc(n, sizeof(*r.peers));
	if (!r.peers)
		return;
	for (i = 0; i < n; i++) {
		r.peers[i].public_key[0] = (uint8_t)i;
		r.peers[i].public_key[1] = (uint8_t)(i >> 8);
		r.peers[i].handshake_age = -1;
	}
	r.n_peers = n;
	o = ctl_report_json(&r, false);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	CHECK(text && strlen(text) <= CTL_MAX_REPORT);
	if (text) {
		struct ctl_report back;

		CHECK_EQ(ctl_report_parse(&back, text, strlen(text), false,
					  err, sizeof(err)),
			 -EBADMSG);
		CHECK(strstr(err, "at most") != NULL);
	}
	free(text);
	json_decref(o);
	r.n_peers = n - 1;
	o = ctl_report_json(&r, false);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (text) {
		struct ctl_report back;

		CHECK_EQ(ctl_report_parse(&back, text, strlen(text), false,
					  err, sizeof(err)),
			 0);
		CHECK_EQ(back.n_peers, n - 1);
		ctl_report_free(&back);
	}
	free(text);
	json_decref(o);
	ctl_report_free(&r);
}

/* ---- status of a store ---- */

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static const char *namer(const uint8_t key[LW_KEY_LEN], void *arg)
{
	(void)arg;
	return key[0] == 0xb8 ? "hub1" : NULL;
}

static void test_store(void)
{
	char dir[] = "/tmp/lw-ctlstatus-XXXXXX", sub[64], err[256], *out;
	char *a_report = report_text(true);
	struct ctl_status s;
	size_t len;
	json_t *o, *n;
	FILE *f;

	if (!mkdtemp(dir) || !a_report)
		return;
	snprintf(sub, sizeof(sub), "%s/reports", dir);
	mkdir(sub, 0700);
	put(dir, "index.json",
	    "{\"network\":\"net\",\"epoch\":9,\"hubs\":[],\"nodes\":["
	    "{\"name\":\"gw1\",\"addrs\":[],\"digest\":\"x\",\"epoch\":7},"
	    "{\"name\":\"gw2\",\"addrs\":[],\"digest\":\"x\",\"epoch\":9},"
	    "{\"name\":\"lap\",\"addrs\":[],\"digest\":\"x\",\"epoch\":9},"
	    "{\"name\":\"bad\",\"addrs\":[],\"digest\":\"x\",\"epoch\":9},"
	    "{\"name\":\"liar\",\"addrs\":[],\"digest\":\"x\",\"epoch\":9}]}");
	put(sub, "gw1.json", a_report); /* epoch 7 of 7: up to date */
	put(sub, "gw2.json",
	    "{\"node\":\"gw2\",\"at_ms\":1700000000000,\"epoch\":8,"
	    "\"peers\":[]}"); /* behind */
	put(sub, "bad.json", "{\"node\":\"bad\",\"epoch\":\"8\"}");
	put(sub, "liar.json",
	    "{\"node\":\"gw2\",\"at_ms\":1,\"epoch\":9,\"peers\":[]}");
	CHECK_EQ(ctl_status_load(&s, dir, err, sizeof(err)), 0);
	CHECK_EQ(s.n_nodes, 5);
	CHECK_EQ(s.epoch, 9);
	f = open_memstream(&out, &len);
	ctl_status_print(f, &s, namer, NULL, 1700000073000ULL);
	fclose(f);
	CHECK(strstr(out, "network net: epoch 9, 5 nodes, 1 behind, 3 "
			  "without a report\n") != NULL);
	CHECK(strstr(out, "node gw1: published epoch 7, applied 7 (up to "
			  "date), reported 1 min 0 s ago, 2 peers\n") != NULL);
	CHECK(strstr(out, "  peer hub1: handshake 12 s before the report, "
			  "endpoint 203.0.113.2:34734, 860 B received, "
			  "1096 B sent\n") != NULL);
	CHECK(strstr(out, "  peer " KEY2 ": handshake never, 0 B received, "
			  "0 B sent\n") != NULL);
	CHECK(strstr(out, "node gw2: published epoch 9, applied 8 (behind), "
			  "reported 1 min 13 s ago, 0 peers\n") != NULL);
	CHECK(strstr(out, "node lap: published epoch 9, no report yet\n") !=
	      NULL);
	CHECK(strstr(out, "node bad: published epoch 9, unreadable report: "
			  "not an object") != NULL);
	CHECK(strstr(out, "node liar: published epoch 9, unreadable report: "
			  "it names node gw2\n") != NULL);
	free(out);

	o = ctl_status_json(&s, namer, NULL, 1700000073000ULL);
	CHECK(o != NULL);
	n = json_array_get(json_object_get(o, "nodes"), 0);
	CHECK(!strcmp(json_string_value(json_object_get(n, "node")), "gw1"));
	CHECK_EQ(json_integer_value(json_object_get(n, "applied_epoch")), 7);
	CHECK_EQ(json_integer_value(json_object_get(n, "published_epoch")), 7);
	CHECK(json_is_true(json_object_get(n, "up_to_date")));
	CHECK_EQ(json_integer_value(json_object_get(n, "report_age_ms")),
		 60000);
	CHECK(json_is_null(json_object_get(n, "problem")));
	n = json_array_get(json_object_get(n, "peers"), 0);
	CHECK(!strcmp(json_string_value(json_object_get(n, "node")), "hub1"));
	CHECK_EQ(json_integer_value(json_object_get(n, "handshake_age")), 12);
	n = json_array_get(json_object_get(o, "nodes"), 2);
	CHECK(json_is_null(json_object_get(n, "applied_epoch")));
	CHECK(json_is_false(json_object_get(n, "up_to_date")));
	n = json_array_get(json_object_get(o, "nodes"), 1);
	CHECK(json_is_false(json_object_get(n, "up_to_date")));
	json_decref(o);
	ctl_status_free(&s);

	/* no index, or not an index: refused with a message */
	put(dir, "index.json", "{\"network\":\"net\"}");
	CHECK_EQ(ctl_status_load(&s, dir, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "not a store's index") != NULL);
	snprintf(sub, sizeof(sub), "%s/none", dir);
	CHECK_EQ(ctl_status_load(&s, sub, err, sizeof(err)), -ENOENT);
	free(a_report);
	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	CHECK_EQ(system(sub), 0);
}

int main(void)
{
	test_round_trip();
	test_future_handshake();
	test_bad();
	test_truncated_and_big();
	test_many_peers();
	test_store();
	return test_finish("ctl_report");
}
