%% Erlang baseline for bfly's `otp` benchmark suite (bench/otp.ts).
%% Run by bench/erl.ts: erlc into a temp dir, then
%%   erl -noshell +S 2 -pa DIR -run bfly_otp main runs=3 server_call=200000 raw_call=200000
%% Prints `RELEASE <otp>` and one `RESULT <name> <value>` line per workload
%% (best of `runs` after one warm-up, each in a fresh process); every run
%% checks its answers and crashes the VM (non-zero exit) if one is wrong.
-module(bfly_otp).
-behaviour(gen_server).
-export([main/1]).
-export([init/1, handle_call/3, handle_cast/2]).

main(Args) ->
    Opts = maps:from_list([parse(A) || A <- Args]),
    Get = fun(K) -> maps:get(K, Opts) end,
    Runs = Get(runs),
    io:format("RELEASE ~s~n", [erlang:system_info(otp_release)]),
    report(server_call, best(Runs, fun() -> server_call(Get(server_call)) end)),
    report(raw_call, best(Runs, fun() -> raw_call(Get(raw_call)) end)),
    halt(0).

parse(Arg) ->
    [K, V] = string:split(Arg, "="),
    {list_to_atom(K), list_to_integer(V)}.

report(Name, Value) ->
    io:format("RESULT ~s ~.6e~n", [Name, float(Value)]).

best(Runs, F) ->
    _ = isolated(F),
    lists:max([isolated(F) || _ <- lists:seq(1, Runs)]).

isolated(F) ->
    Parent = self(),
    {Pid, Ref} = spawn_monitor(fun() -> Parent ! {self(), F()} end),
    receive
        {Pid, Value} -> receive {'DOWN', Ref, _, _, _} -> Value end;
        {'DOWN', Ref, _, _, Reason} -> erlang:error({benchmark_failed, Reason})
    end.

now_ns() -> erlang:monotonic_time(nanosecond).
per_second(Ops, Ns) -> Ops / (Ns / 1.0e9).
check(true, _) -> ok;
check(false, What) -> erlang:error({invalid_run, What}).

%% gen_server:call round trips/s (the same handler as bfly's: answer I + 1).
server_call(N) ->
    {ok, S} = gen_server:start_link(?MODULE, [], []),
    T0 = now_ns(),
    server_loop(S, 0, N),
    Ns = now_ns() - T0,
    ok = gen_server:stop(S),
    per_second(N, Ns).

server_loop(_, N, N) -> ok;
server_loop(S, I, N) ->
    check(gen_server:call(S, I) =:= I + 1, server_answer),
    server_loop(S, I + 1, N).

init([]) -> {ok, nostate}.
handle_call(I, _From, St) -> {reply, I + 1, St}.
handle_cast(_, St) -> {noreply, St}.

%% Raw call/reply round trips/s: a tagged request with a fresh ref, answered
%% by a plain receive loop (what gen_server:call does, minus the monitor).
raw_call(N) ->
    S = spawn_link(fun raw_server/0),
    T0 = now_ns(),
    raw_loop(S, 0, N),
    Ns = now_ns() - T0,
    S ! stop,
    per_second(N, Ns).

raw_loop(_, N, N) -> ok;
raw_loop(S, I, N) ->
    Ref = make_ref(),
    S ! {call, self(), Ref, I},
    receive {Ref, R} -> check(R =:= I + 1, raw_answer) end,
    raw_loop(S, I + 1, N).

raw_server() ->
    receive
        {call, From, Ref, I} -> From ! {Ref, I + 1}, raw_server();
        stop -> ok
    end.
