#!/bin/sh
# The whole suite, its plan: the unit tests, then real programs under the
# preload against real servers on loopback (the tests are in tests/it/, one
# file per area), then again under ASan+UBSan, and TSan.  Ends with
# "N passed, M failed".  tests/README.md says what is where.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/harness.sh"

PASSED=0
FAILED=0
SKIPPED=0
RESULTS="$ROOT/build/test-results.txt"
: >"$RESULTS"
export STSENV_LOG=debug # every test also proves that debug logs leak nothing

integration() { # $1: suffix for test names
	s=$1
	check "uri_rotation_8_threads$s" t_uri_rotation "$ROT_SECONDS" "$s"
	check "file_rotation_half_written$s" t_file_rotation
	check "down_from_start$s" t_down_from_start
	check "dies_after_first_fetch$s" t_dies_after_first_fetch
	check "recovers_after_outage$s" t_recovers_after_outage
	check "http_500$s" t_bad_response 500 "HTTP status 500"
	check "http_403$s" t_bad_response 403 "HTTP status 403"
	check "garbage_body$s" t_bad_response garbage "bad response: invalid JSON"
	check "truncated_body$s" t_bad_response truncated "bad response: JSON incomplete"
	check "code_not_success$s" t_bad_response codefail 'Code is "Failed", not Success'
	check "expired_credential$s" t_bad_response expired "returned a credential that expired"
	check "huge_body$s" t_bad_response huge "larger than 65536 bytes"
	check "connection_reset$s" t_bad_response reset "credentials URI http://127.0.0.1:[0-9]*/credentials: .*[Rr]eset"
	check "slow_past_timeout$s" t_slow_past_timeout
	check "http_404$s" t_bad_response 404 "HTTP status 404"
	check "http_429$s" t_bad_response 429 "HTTP status 429"
	check "signal_handler_getenv$s" t_signal_handler_getenv
	check "file_deleted_dir_empty_slow$s" t_file_faults
	check "too_many_open_files$s" t_emfile
	[ -z "$s" ] && check "malloc_failures$s" t_enomem
	check "static_key_precedence$s" t_static_key_precedence
	check "names_and_pass_through$s" t_names_and_pass_through
	# ASan's allocator (gcc 12) is not fork-safe: a child forked while
	# another thread is inside malloc deadlocks in ASan itself (seen, with
	# backtraces, in asan_calloc).  glibc's malloc is; so this runs plain only.
	[ -z "$s" ] && check "fork_while_refreshing$s" t_fork_while_refreshing
	check "unshare_user_namespace$s" t_unshare_user_ns
}

for f in "$ROOT"/tests/it/*.sh; do . "$f"; done

echo "== unit tests"
[ -z "$ONLY" ] && for t in "$BUILD"/tests/*; do run_unit "$t" ""; done

echo "== integration tests (loopback)"
PRELOAD="$BUILD/libstsenv.so"
PROGS="$BUILD/progs"
ROT_SECONDS=20
integration ""
check launcher_rotation t_launcher_rotation
check stress_64_readers_setenv_spawn t_stress preload
check stress_64_readers_setenv_spawn_launcher t_stress launcher
check compat_real_programs t_compat
check launcher_exit_codes t_launcher_exit_codes
check launcher_env_and_status t_launcher_env_and_status
check node_sdk_default_chain t_node_sdk_default_chain
check node_refresh_under_launcher t_node_refresh_under_launcher
check environ_and_descriptors t_environ_and_fds
check environ_callers_changes_kept_at_load t_environ_callers_changes_kept
check valgrind_memcheck t_valgrind
check runtime_matrix_launcher t_runtime_matrix launcher
check runtime_matrix_plain_preload t_runtime_matrix preload
check bash_loop_static_binary t_shell_loop_static bash
check dash_loop_static_binary t_shell_loop_static dash
check forked_workers_one_fetch_per_rotation t_forked_workers
check oidc_rotation_and_token_reread t_oidc_rotation_and_token_reread
check oidc_invalid_token t_oidc_error sts400 "InvalidParameter.OIDCToken: token expired"
check oidc_service_unavailable t_oidc_error sts503 "HTTP 503, ServiceUnavailable: try later"
check oidc_throttled t_oidc_error ststhrottle "Throttling: Request was denied"
check ecs_imdsv2 t_ecs v2only ok ALIBABA_CLOUD_ECS_METADATA=fake-role
check ecs_role_discovered t_ecs ok ok STSENV_SOURCE=ecs
check ecs_token_403_falls_back_to_v1 t_ecs token403 v1 ALIBABA_CLOUD_ECS_METADATA=fake-role
check ecs_v1_fallback_disabled t_ecs token403 "IMDSv1 is disabled" ALIBABA_CLOUD_ECS_METADATA=fake-role ALIBABA_CLOUD_IMDSV1_DISABLED=true
check ecs_role_not_found t_ecs rolemissing "HTTP status 404" ALIBABA_CLOUD_ECS_METADATA=fake-role
check ecs_code_not_success t_ecs codefail 'Code is "Failed"' ALIBABA_CLOUD_ECS_METADATA=fake-role
check ecs_slow_past_1s t_ecs imdsslow:2500 "timed out" ALIBABA_CLOUD_ECS_METADATA=fake-role
check chain_order t_chain_order
check profiles_oidc_and_external t_profiles
check auto_never_probes_metadata t_auto_never_probes

# Chained roles: AssumeRole signed by the source's credential (tests/it/roles.sh)
check role_fake_sts_signature_self_test t_role_self_test
check role_on_uri t_role_on uri
check role_on_file t_role_on file
check role_on_ecs t_role_on ecs
check role_on_oidc t_role_on oidc
check role_profile_ini_access_key t_role_profile ini-ak
check role_profile_ini_source_profile t_role_profile ini-source
check role_profile_cli_ramrolearn t_role_profile cli-ramrolearn
check role_profile_cli_chainable_on_ak t_role_profile cli-chainable-ak
check role_profile_cli_chainable_on_ecs t_role_profile cli-chainable-ecs
check role_signer_rotates_while_role_valid t_role_signer_rotates
check role_forbidden t_role_error forbid NoPermission "You are not authorized to do this action. You should be authorized by RAM."
check role_missing t_role_error missing EntityNotExist.Role "The role not exists: acs:ram::1234:role/data."
check role_clock_skew t_role_error skew InvalidTimeStamp.Expired "Specified time stamp or date value is expired."
check role_signature_mismatch_token_not_logged t_role_error badsig SignatureDoesNotMatch ""
check role_unchanged_no_spin t_role_unchanged
check role_backoff_and_recovery t_role_backoff
check role_policy_external_id_session_duration t_role_params
check role_32_workers_one_request_per_rotation t_role_workers

# Programs that refresh by themselves (tests/it/sdk.sh)
sh "$ROOT/tests/sdk/build.sh" "$BUILD/sdk" >"$TMP/sdk-build.txt" 2>&1
SDK_BUILD_RC=$?
for lang in go java; do
	for m in alone launcher preload; do
		check "sdk_chain_${lang}_$m" t_sdk_chain $lang $m
	done
	check "sdk_chain_${lang}_role" t_sdk_role $lang
done
check go_without_sdk_keeps_variables t_go_names_once
check endpoint_under_attack t_endpoint_attack

# A wall clock stepped forward (tests/it/clock.sh)
check wall_clock_step_plain_preload t_wall_clock_step preload
check wall_clock_step_launcher t_wall_clock_step launcher

# Good citizens (tests/it/citizen.sh)
check pid1_and_subreaper_hosts_finish t_pid1_reaper
check self_stopping_command_on_a_pty t_self_stop_on_pty
check job_signal_reaches_command_once t_job_signal_once
check relative_log_file_and_preload t_relative_log_file
check keeper_cannot_start_said_once t_no_keeper_said_once

# Delivery (tests/it/delivery.sh)
for p in python perl node bash dash vfork spawn bash-sleeps-past-expiry; do
	check "children_fresh_plain_preload_$p" t_children_fresh preload "$p"
done
check children_fresh_launcher_python t_children_fresh launcher python
check children_fresh_launcher_bash t_children_fresh launcher bash
check callers_word_plain_preload t_callers_word preload
check callers_word_launcher t_callers_word launcher
check exec_on_small_stacks t_small_stacks
check token_at_cap_handed_down_fresh t_token_at_cap
check fork_in_signal_handler t_fork_in_signal_handler
check user_var_key_is_its_own_family t_user_var_key
check no_torn_sequences_plain_preload t_no_torn_sequences preload
check no_torn_sequences_launcher t_no_torn_sequences launcher

# Trust (tests/it/trust.sh)
check hostile_sibling_cannot_write_launcher t_hostile_sibling launcher
check hostile_sibling_cannot_write_plain_preload t_hostile_sibling preload
check changed_uid_refused_the_page t_changed_uid_refused
check other_source_no_identity_swap t_other_source_no_swap
check no_herd_when_source_answers_the_same t_no_herd_on_unchanged
check log_never_in_host_files t_log_never_in_host_files
check launcher_never_dumps_core t_launcher_never_dumps
check credential_memory_not_dumped t_credential_memory_not_dumped
check uri_redaction_and_environ_visibility t_uri_and_environ_visibility

# Long-lived programs (tests/it/python.sh)
check python_live_environ_launcher t_python_live launcher
check python_live_environ_plain_preload t_python_live preload
check python_sdk_default_chain_alone t_python_sdk alone
check python_sdk_default_chain_launcher t_python_sdk launcher
check python_sdk_default_chain_plain_preload t_python_sdk preload
check python_flags_honoured t_python_flags
check on_rotate_restart t_on_rotate restart
check on_rotate_signal t_on_rotate HUP

# Hosts that move environ, embed CPython with dlopen, thread per task (tests/it/embed.sh)
check environ_moved_plain_preload t_environ_moved preload
check environ_moved_launcher t_environ_moved launcher
check environ_moved_gunicorn_setproctitle t_environ_moved_gunicorn
check python_dlopen_embedder_global t_python_dlopen_embedder global
check python_dlopen_embedder_local t_python_dlopen_embedder local
check python_dlopen_embedder_thread t_python_dlopen_embedder thread
check python_uwsgi_plugin t_python_uwsgi_plugin
check pythonpath_empty_or_unset_as_it_was t_pythonpath_as_it_was empty
check pythonpath_unnormalised_preload_path t_pythonpath_as_it_was unnormalised
check pythonpath_gdb_inferior_as_it_was t_pythonpath_as_it_was gdb
check dlopen_keeps_callers_search_path t_dlopen_keeps_search_path
check exec_memory_bounded_thread_per_task_spawn t_exec_memory_bounded spawn
check exec_memory_bounded_thread_per_task_vfork t_exec_memory_bounded vfork

# What stsenv says (tests/it/messages.sh)
check config_warning_once_per_tree t_config_warning_once
check setting_values_kept_and_case_insensitive t_setting_values
check source_typo_is_an_error t_source_typo_is_an_error
check missing_source_named t_missing_source_named
check source_error_once_and_log_off t_source_error_once

# The command line and the packages (tests/it/cli.sh)
check cli_build t_cli build
check cli_installed t_cli installed
check status_waits_on_terminal t_status_waits_on_terminal
check readme_status_samples t_readme_status_samples
check install_layout_and_uninstall t_install_layout
check deb_package t_deb
check deploy_recipes_name_packaged_paths t_deploy_recipes

ASAN_BUILD="$ROOT/build/asan"
if [ -d "$ASAN_BUILD/tests" ]; then
	echo "== ASan + UBSan"
	export LSAN_OPTIONS="suppressions=$ROOT/tests/lsan.supp:print_suppressions=0"
	for t in "$ASAN_BUILD"/tests/*; do run_unit "$t" "[asan]"; done
	# ASan's runtime must come first among the preloaded objects; leaks are
	# not checked in host programs, whose own allocations are not ours.
	export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	PRELOAD="$(gcc -print-file-name=libasan.so) $ASAN_BUILD/libstsenv.so"
	PROGS="$ASAN_BUILD/progs"
	ROT_SECONDS=10
	integration "[asan]"
	# The delivery paths of the wrappers and the page reader, instrumented.
	check "callers_word_plain_preload[asan]" t_callers_word preload
	check "token_at_cap_handed_down_fresh[asan]" t_token_at_cap
	check "fork_in_signal_handler[asan]" t_fork_in_signal_handler
	check "no_torn_sequences_plain_preload[asan]" t_no_torn_sequences preload
	check "children_fresh_plain_preload_vfork[asan]" t_children_fresh preload vfork
	check "hostile_sibling_cannot_write_plain_preload[asan]" t_hostile_sibling preload
	check "python_live_environ_plain_preload[asan]" t_python_live preload
	check "environ_moved_plain_preload[asan]" t_environ_moved preload
	check "python_dlopen_embedder_local[asan]" t_python_dlopen_embedder local
	check "pythonpath_empty_or_unset_as_it_was[asan]" t_pythonpath_as_it_was empty
	check "exec_memory_bounded_thread_per_task_vfork[asan]" t_exec_memory_bounded vfork
	# The keeper of a plain-preload tree signs AssumeRole: instrumented too.
	check "role_on_ecs[asan]" t_role_on ecs
	check "role_forbidden[asan]" t_role_error forbid NoPermission "You are not authorized"
	unset ASAN_OPTIONS UBSAN_OPTIONS
fi
if [ -d "$ROOT/build/tsan/tests" ]; then
	echo "== TSan (the arena, and the keeper's answering thread)"
	for t in "$ROOT"/build/tsan/tests/*; do TSAN_OPTIONS=halt_on_error=1 run_unit "$t" "[tsan]"; done
fi

check no_secret_in_any_log t_no_secret_in_logs
check clang_format_clean t_clang_format_clean
check structure_rules t_structure_rules

echo
echo "results worth noting (also in build/test-results.txt):"
sed 's/^/  /' "$RESULTS"
[ "$SKIPPED" = 0 ] || echo "$SKIPPED skipped (see SKIP lines above)"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
