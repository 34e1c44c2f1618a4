%% Erlang baseline for bfly's `local` benchmark suite (tools/bench/local.ts).
%% Run by tools/bench/erl.ts: erlc into a temp dir, then
%%   erl -noshell +S 2 -pa DIR -run bfly_local main runs=3 pingpong=500000 ...
%% Prints `RELEASE <otp>` and one `RESULT <name> <value>` line per workload
%% (best of `runs` after one warm-up; each run in a fresh process). Every run
%% checks its own work and crashes the VM (non-zero exit) if it was wrong.
-module(bfly_local).
-behaviour(gen_server).
-export([main/1]).
-export([init/1, handle_call/3, handle_cast/2]).

main(Args) ->
    Opts = maps:from_list([parse(A) || A <- Args]),
    Get = fun(K) -> maps:get(K, Opts) end,
    Runs = Get(runs),
    io:format("RELEASE ~s~n", [erlang:system_info(otp_release)]),
    Benches = [
        {pingpong, hi, fun() -> pingpong(Get(pingpong)) end},
        {stream, hi, fun() -> stream(Get(stream)) end},
        {ring, hi, fun() -> ring(Get(ring_size), Get(ring_laps)) end},
        {spawn, hi, fun() -> spawn_exit(Get(spawn)) end},
        {idle_process_bytes, lo, fun() -> idle(Get(idle)) end},
        {selective_receive_10k, lo,
         fun() -> selective(Get(selective_noise), Get(selective_iters)) end},
        {call, hi, fun() -> call(Get(call)) end},
        {raw_call, hi, fun() -> raw_call(maps:get(raw_call, Opts, maps:get(call, Opts, 0))) end},
        {server_cast, hi, fun() -> server_cast(maps:get(server_cast, Opts, maps:get(call, Opts, 0))) end}
    ],
    Only = maps:get(only, Opts, all),
    [report(Name, best(Runs, Dir, F))
     || {Name, Dir, F} <- Benches, Only =:= all orelse Only =:= Name],
    halt(0).

parse(Arg) ->
    [K, V] = string:split(Arg, "="),
    Key = list_to_atom(K),
    case Key of
        only -> {Key, list_to_atom(V)};
        _ -> {Key, list_to_integer(V)}
    end.

report(Name, Value) ->
    io:format("RESULT ~s ~.6e~n", [Name, float(Value)]).

%% One warm-up, then Runs timed runs; keep the max (hi) or the min (lo).
best(Runs, Dir, F) ->
    _ = isolated(F),
    Values = [isolated(F) || _ <- lists:seq(1, Runs)],
    case Dir of
        hi -> lists:max(Values);
        lo -> lists:min(Values)
    end.

%% Runs F in a fresh process so one run's heap and mailbox do not leak into the next.
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

%% Roundtrips/s between this process and a pong process.
pingpong(N) ->
    Pong = spawn_link(fun pong/0),
    T0 = now_ns(),
    ping(Pong, 0, N),
    Ns = now_ns() - T0,
    Pong ! stop,
    per_second(N, Ns).

ping(_, N, N) -> ok;
ping(Pong, I, N) ->
    Pong ! {self(), I},
    receive R -> check(R =:= I, pingpong_order) end,
    ping(Pong, I + 1, N).

pong() ->
    receive
        {From, I} -> From ! I, pong();
        stop -> ok
    end.

%% Msgs/s one way: this process sends N integers; the receiver checks and counts.
stream(N) ->
    Self = self(),
    T0 = now_ns(),
    Recv = spawn_link(fun() -> stream_recv(Self, 0, N) end),
    stream_send(Recv, 0, N),
    receive {stream_done, Recv} -> ok end,
    per_second(N, now_ns() - T0).

stream_send(_, N, N) -> ok;
stream_send(Recv, I, N) -> Recv ! I, stream_send(Recv, I + 1, N).

stream_recv(Parent, N, N) -> Parent ! {stream_done, self()};
stream_recv(Parent, I, N) ->
    receive M -> check(M =:= I, stream_order) end,
    stream_recv(Parent, I + 1, N).

%% Hops/s: a token goes Laps times around a ring of Size processes.
ring(Size, Laps) ->
    Self = self(),
    Hops = Size * Laps,
    Pids = [spawn_link(fun() -> receive {next, Next} -> ring_node(Self, Next, 0) end end)
            || _ <- lists:seq(1, Size)],
    [First | _] = Pids,
    lists:foreach(fun({P, Next}) -> P ! {next, Next} end,
                  lists:zip(Pids, tl(Pids) ++ [First])),
    T0 = now_ns(),
    First ! Hops,
    receive {ring_done, First} -> ok end,
    Ns = now_ns() - T0,
    [P ! {stop, Self} || P <- Pids],
    Received = lists:sum([receive {ring_count, P, C} -> C end || P <- Pids]),
    check(Received =:= Hops + 1, ring_count),
    per_second(Hops, Ns).

ring_node(Parent, Next, Count) ->
    receive
        0 -> Parent ! {ring_done, self()}, ring_node(Parent, Next, Count + 1);
        K when is_integer(K) -> Next ! K - 1, ring_node(Parent, Next, Count + 1);
        {stop, Parent} -> Parent ! {ring_count, self(), Count}
    end.

%% Spawns/s: spawn N processes that return at once; wait until all have exited.
spawn_exit(N) ->
    Ran = counters:new(1, [write_concurrency]),
    Base = erlang:system_info(process_count),
    Body = fun() -> counters:add(Ran, 1, 1) end,
    T0 = now_ns(),
    spawn_n(Body, N),
    wait_count(Base),
    Ns = now_ns() - T0,
    check(counters:get(Ran, 1) =:= N, spawn_ran),
    per_second(N, Ns).

spawn_n(_, 0) -> ok;
spawn_n(F, K) -> spawn(F), spawn_n(F, K - 1).

wait_count(Base) ->
    case erlang:system_info(process_count) > Base of
        true -> erlang:yield(), wait_count(Base);
        false -> ok
    end.

%% Bytes per idle process (lower is better): erlang:memory(total) delta over N
%% processes each waiting in a receive. A holder process spawns and links them
%% (so no pid list is billed to them) and takes them down when it exits.
idle(N) ->
    Self = self(),
    Base = erlang:system_info(process_count),
    erlang:garbage_collect(),
    M0 = erlang:memory(total),
    Holder = spawn(fun() ->
        idle_spawn(N),
        Self ! {idle_ready, self()},
        receive stop -> exit(shutdown) end
    end),
    receive {idle_ready, Holder} -> ok end,
    M1 = erlang:memory(total),
    check(erlang:system_info(process_count) - Base =:= N + 1, idle_count),
    Holder ! stop,
    wait_count(Base),
    (M1 - M0) / N.

idle_spawn(0) -> ok;
idle_spawn(K) -> spawn_link(fun() -> receive stop -> ok end end), idle_spawn(K - 1).

%% µs per selective receive of one matching message behind Noise non-matching
%% ones, which stay in the mailbox in order.
selective(Noise, Iters) ->
    Self = self(),
    [Self ! {noise, I} || I <- lists:seq(0, Noise - 1)],
    T0 = now_ns(),
    selective_loop(Self, 0, Iters),
    Ns = now_ns() - T0,
    [receive M -> check(M =:= {noise, I}, selective_noise) end || I <- lists:seq(0, Noise - 1)],
    {message_queue_len, 0} = erlang:process_info(Self, message_queue_len),
    Ns / Iters / 1.0e3.

selective_loop(_, N, N) -> ok;
selective_loop(Self, J, N) ->
    Self ! {hit, J},
    receive {hit, J} -> ok end,
    selective_loop(Self, J + 1, N).

%% Round trips/s: gen_server:call to a local server.
call(N) ->
    {ok, S} = gen_server:start_link(?MODULE, [], []),
    T0 = now_ns(),
    call_loop(S, 0, N),
    Ns = now_ns() - T0,
    ok = gen_server:stop(S),
    per_second(N, Ns).

call_loop(_, N, N) -> ok;
call_loop(S, I, N) ->
    R = gen_server:call(S, I),
    check(R =:= I + 1, call_answer),
    call_loop(S, I + 1, N).

%% The state counts casts (the otp suite's server_cast); calls answer I + 1.
init([]) -> {ok, 0}.
handle_call(count, _From, St) -> {reply, St, St};
handle_call(I, _From, St) -> {reply, I + 1, St}.
handle_cast(_, St) -> {noreply, St + 1}.

%% Casts/s: N gen_server:cast, then one call that sees them all counted.
server_cast(N) ->
    {ok, S} = gen_server:start_link(?MODULE, [], []),
    T0 = now_ns(),
    cast_loop(S, N),
    check(gen_server:call(S, count, infinity) =:= N, cast_count),
    Ns = now_ns() - T0,
    ok = gen_server:stop(S),
    per_second(N, Ns).

cast_loop(_, 0) -> ok;
cast_loop(S, K) -> gen_server:cast(S, K), cast_loop(S, K - 1).

%% Raw call/reply round trips/s (the otp suite's raw_call): a tagged request
%% with a fresh ref, answered by a plain receive loop (gen_server:call minus
%% its monitor and the behaviour's dispatch).
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
