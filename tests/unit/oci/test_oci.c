/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the OCI runtime's pure parts: signal names as runc takes
 * them, linux.cgroupsPath in cgroupfs and systemd form, config.json read
 * into what a Keep needs, and the Enarx.toml made for the Keep. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "oci/oci_int.h"

static void test_signals(void **state)
{
	assert_int_equal(oci__signal_parse("TERM"), 15);
	assert_int_equal(oci__signal_parse("SIGKILL"), 9);
	assert_int_equal(oci__signal_parse("sigusr1"), 10);
	assert_int_equal(oci__signal_parse("9"), 9);
	assert_int_equal(oci__signal_parse("0"), -1);
	assert_int_equal(oci__signal_parse("65"), -1);
	assert_int_equal(oci__signal_parse("9x"), -1);
	assert_int_equal(oci__signal_parse("NOPE"), -1);
}

static void test_cgroup_paths(void **state)
{
	char p[256];

	assert_int_equal(oci__cgroup_rel("/libpod_parent/libpod-1", p, sizeof(p)), 0);
	assert_string_equal(p, "/libpod_parent/libpod-1");
	assert_int_equal(oci__cgroup_rel("default/x", p, sizeof(p)), 0);
	assert_string_equal(p, "/default/x");
	assert_int_equal(oci__cgroup_rel("system.slice:libpod:abc", p, sizeof(p)), 0);
	assert_string_equal(p, "/system.slice/libpod-abc.scope");
	assert_int_equal(
	    oci__cgroup_rel("kubepods-besteffort-pod1.slice:cri-containerd:c1", p, sizeof(p)), 0);
	assert_string_equal(p, "/kubepods.slice/kubepods-besteffort.slice/"
	                       "kubepods-besteffort-pod1.slice/cri-containerd-c1.scope");
	assert_int_equal(oci__cgroup_rel("-.slice:p:n", p, sizeof(p)), 0);
	assert_string_equal(p, "/p-n.scope");
	assert_int_equal(oci__cgroup_rel("/a/very/long/path", p, 8), -1);
}

static const char spec_json[] =
    "{\"process\":{\"args\":[\"/app.wasm\",\"x\"],\"env\":[\"A=1\",\"Q=a\\\"b\\\\c\\n\","
    "\"FD_COUNT=7\"],\"cwd\":\"/w\"},\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
    "\"mounts\":[{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/tmp\","
    "\"options\":[\"rbind\",\"ro\"]},{\"destination\":\"/dev/shm\",\"type\":\"bind\","
    "\"source\":\"/tmp\"},{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"}],"
    "\"linux\":{\"cgroupsPath\":\"/c\",\"namespaces\":[{\"type\":\"pid\"},{\"type\":"
    "\"network\",\"path\":\"/run/netns/n\"}],\"resources\":{\"memory\":{\"limit\":4096}}},"
    "\"annotations\":{\"run.oci.handler\":\"wasm\",\"enarx.backend\":\"kvm\"}}";

static void test_spec(void **state)
{
	struct oci_spec sp;

	assert_int_equal(oci__spec_parse(spec_json, strlen(spec_json), "/b", &sp), 0);
	assert_int_equal(sp.nargs, 2);
	assert_string_equal(sp.rootfs, "/b/rootfs");
	assert_true(sp.rootfs_ro);
	assert_int_equal(sp.nmounts, 1); /* /dev/shm and /proc are the engine's */
	assert_string_equal(sp.mounts[0].dest, "/data");
	assert_true(sp.mounts[0].readonly);
	assert_string_equal(sp.netns_path, "/run/netns/n");
	assert_false(sp.netns_new);
	assert_string_equal(sp.cgroups_path, "/c");
	assert_int_equal(sp.mem_limit, 4096);
	assert_true(sp.wasm_annotated);
	assert_false(sp.sandbox);
	assert_string_equal(sp.backend, "kvm");
	assert_int_equal(oci__spec_is_wasm(&sp), 1);
	oci__spec_free(&sp);
	assert_int_equal(
	    oci__spec_parse("{\"process\":{\"args\":[]},\"root\":{\"path\":\"r\"}}", 46, "/b", &sp),
	    -1);
	oci__spec_free(&sp);
	assert_int_equal(oci__spec_parse("{\"process\":{\"args\":[\"a\"]}}", 26, "/b", &sp), -1);
	oci__spec_free(&sp);
}

/* The Enarx.toml for the Keep parses back to config.json's env (escaped),
 * the rootfs and mounts as preopens after stdio, then the image's sockets. */
static void test_toml(void **state)
{
	static const char img_text[] =
	    "args = [\"i\"]\n[env]\nA = \"image\"\nB = \"image\"\n"
	    "[[files]]\nkind = \"stdin\"\n[[files]]\nkind = \"stdout\"\n"
	    "[[files]]\nkind = \"stderr\"\n[[files]]\nkind = \"listen\"\n"
	    "name = \"api\"\nprot = \"tcp\"\nport = 8080\n";
	struct config *img = NULL, *out = NULL;
	struct oci_spec sp;
	struct buf toml = {0};
	char err[256];
	int net = 0;

	assert_int_equal(oci__spec_parse(spec_json, strlen(spec_json), "/b", &sp), 0);
	assert_int_equal(config_parse(img_text, strlen(img_text), &img, err, sizeof(err)), 0);
	assert_int_equal(oci__toml_make(&sp, img, &toml, &net), 0);
	assert_true(net);
	assert_int_equal(config_parse((const char *)toml.data, toml.len, &out, err, sizeof(err)),
	                 0);
	assert_int_equal(out->nargs, 1);
	assert_int_equal(out->nfiles, 6);
	assert_int_equal(out->files[3].kind, CONFIG_DIR);
	assert_string_equal(out->files[3].name, "/");
	assert_string_equal(out->files[3].path, "/b/rootfs");
	assert_true(out->files[3].readonly);
	assert_string_equal(out->files[4].name, "/data");
	assert_int_equal(out->files[5].kind, CONFIG_LISTEN);
	/* B from the image, A and Q from config.json, PWD from cwd; FD_COUNT
	 * stays the executor's */
	assert_int_equal(out->nenv, 4);
	assert_string_equal(out->env[0].key, "B");
	assert_string_equal(out->env[1].key, "A");
	assert_string_equal(out->env[1].value, "1");
	assert_string_equal(out->env[2].value, "a\"b\\c\n");
	assert_string_equal(out->env[3].key, "PWD");
	assert_string_equal(out->env[3].value, "/w");
	config_free(out);
	config_free(img);
	buf_free(&toml, 0);
	oci__spec_free(&sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signals),
	    cmocka_unit_test(test_cgroup_paths),
	    cmocka_unit_test(test_spec),
	    cmocka_unit_test(test_toml),
	};

	oci__log_quiet(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
