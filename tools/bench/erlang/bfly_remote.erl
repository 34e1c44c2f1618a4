%% Erlang baseline for bfly's `remote` suite (tools/bench/remote.ts): Erlang
%% distribution between two nodes on 127.0.0.1 (this one and a peer started
%% with `peer`), over TCP (inet_tcp_dist) or TLS (inet_tls_dist, when
%% tools/bench/erl.ts passes -proto_dist inet_tls and an ssl_dist_optfile).
%% Run by tools/bench/erl.ts:
%%   erl -noshell +S 2 -pa DIR [TLS FLAGS] -run bfly_remote main runs=3 pingpong=20000 ...
%% Prints `RELEASE <otp>` and one `RESULT <name> <value>` line per workload
%% (best of `runs` after one warm-up). Every run checks its own work.
-module(bfly_remote).
-behaviour(gen_server).
-export([main/1, echo/0, sink/2]).
-export([init/1, handle_call/3, handle_cast/2]).

main(Args) ->
    Opts = maps:from_list([parse(A) || A <- Args]),
    Get = fun(K) -> maps:get(K, Opts) end,
    io:format("RELEASE ~s~n", [erlang:system_info(otp_release)]),
    os:cmd("epmd -daemon"),
    timer:sleep(200),
    Me = list_to_atom("bfly_bench_a" ++ integer_to_list(Get(tag)) ++ "@127.0.0.1"),
    {ok, _} = net_kernel:start([Me, longnames]),
    Cookie = atom_to_list(erlang:get_cookie()),
    Dir = filename:dirname(code:which(?MODULE)),
    Extra = string:tokens(os:getenv("BFLY_ERL_DIST_ARGS", ""), " "),
    {ok, _Peer, Node} = peer:start_link(#{
        name => list_to_atom("bfly_bench_b" ++ integer_to_list(Get(tag))),
        host => "127.0.0.1",
        longnames => true,
        args => ["-setcookie", Cookie, "-pa", Dir, "+S", "2" | Extra]
    }),
    Runs = Get(runs),
    Size = Get(size),
    Benches = [
        {pingpong, fun() -> pingpong(Node, Get(pingpong), Size) end},
        {call, fun() -> call(Node, Get(call), Size) end},
        {stream_100B, fun() -> stream(Node, Get(stream_100B), 100) end},
        {stream_64KiB, fun() -> stream(Node, Get(stream_64KiB), 65536) end}
    ],
    [report(Name, best(Runs, F)) || {Name, F} <- Benches],
    halt(0).

parse(Arg) ->
    [K, V] = string:split(Arg, "="),
    {list_to_atom(K), list_to_integer(V)}.

report(Name, Value) ->
    io:format("RESULT ~s ~.6e~n", [Name, float(Value)]).

best(Runs, F) ->
    _ = F(),
    lists:max([F() || _ <- lists:seq(1, Runs)]).

now_ns() -> erlang:monotonic_time(nanosecond).
per_second(Ops, Ns) -> Ops / (Ns / 1.0e9).
check(true, _) -> ok;
check(false, What) -> erlang:error({invalid_run, What}).

msg(I, Size) -> <<I:32/little, (binary:copy(<<16#a5>>, Size - 4))/binary>>.

%% Round trips/s: {self(), Bin} to an echo process on the peer, Bin back.
pingpong(Node, N, Size) ->
    Echo = spawn(Node, ?MODULE, echo, []),
    T0 = now_ns(),
    ping(Echo, 0, N, Size),
    Ns = now_ns() - T0,
    Echo ! stop,
    per_second(N, Ns).

ping(_, N, N, _) -> ok;
ping(Echo, I, N, Size) ->
    M = msg(I, Size),
    Echo ! {self(), M},
    receive R -> check(R =:= M, pingpong_order) end,
    ping(Echo, I + 1, N, Size).

echo() ->
    receive
        {From, M} -> From ! M, echo();
        stop -> ok
    end.

%% gen_server:call/2 round trips/s to a gen_server on the peer.
call(Node, N, Size) ->
    {ok, Srv} = rpc:call(Node, gen_server, start, [?MODULE, [], []]),
    T0 = now_ns(),
    [check(gen_server:call(Srv, msg(I, Size)) =:= msg(I, Size), call_answer) || I <- lists:seq(0, N - 1)],
    Ns = now_ns() - T0,
    exit(Srv, kill),
    per_second(N, Ns).

init([]) -> {ok, nostate}.
handle_call(M, _From, S) -> {reply, M, S}.
handle_cast(_, S) -> {noreply, S}.

%% One-way msgs/s: N binaries of Size bytes to a sink on the peer, which
%% checks their order and answers once all arrived.
stream(Node, N, Size) ->
    Sink = spawn(Node, ?MODULE, sink, [self(), N]),
    M = binary:copy(<<16#a5>>, Size - 4),
    T0 = now_ns(),
    [Sink ! <<I:32/little, M/binary>> || I <- lists:seq(0, N - 1)],
    receive {done, N} -> ok end,
    per_second(N, now_ns() - T0).

sink(To, N) -> sink(To, 0, N).
sink(To, N, N) -> To ! {done, N};
sink(To, I, N) ->
    receive <<I:32/little, _/binary>> -> sink(To, I + 1, N) end.
