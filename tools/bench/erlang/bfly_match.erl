%% Erlang baseline for bfly's `match` benchmark suite (tools/bench/match.ts).
%% Run by tools/bench/erl.ts: erlc into a temp dir, then
%%   erl -noshell +S 2 -pa DIR -run bfly_match main runs=3 noise=10000 iters=2000
%% Prints `RELEASE <otp>` and `RESULT recv_10k <us per receive>` (best of
%% `runs` after one warm-up; each run in a fresh process). Every run checks
%% its own work and crashes the VM (non-zero exit) if it was wrong.
-module(bfly_match).
-export([main/1]).

main(Args) ->
    Opts = maps:from_list([parse(A) || A <- Args]),
    Get = fun(K) -> maps:get(K, Opts) end,
    io:format("RELEASE ~s~n", [erlang:system_info(otp_release)]),
    Runs = Get(runs),
    F = fun() -> recv(Get(noise), Get(iters)) end,
    _ = isolated(F),
    report(recv_10k, lists:min([isolated(F) || _ <- lists:seq(1, Runs)])),
    halt(0).

parse(Arg) ->
    [K, V] = string:split(Arg, "="),
    {list_to_atom(K), list_to_integer(V)}.

report(Name, Value) ->
    io:format("RESULT ~s ~.6e~n", [Name, float(Value)]).

%% Runs F in a fresh process so one run's heap and mailbox do not leak into the next.
isolated(F) ->
    Parent = self(),
    {Pid, Ref} = spawn_monitor(fun() -> Parent ! {self(), F()} end),
    receive
        {Pid, Value} -> receive {'DOWN', Ref, _, _, _} -> Value end;
        {'DOWN', Ref, _, _, Reason} -> erlang:error({benchmark_failed, Reason})
    end.

now_ns() -> erlang:monotonic_time(nanosecond).
check(true, _) -> ok;
check(false, What) -> erlang:error({invalid_run, What}).

%% µs per receive of one matching message behind Noise non-matching ones,
%% with a pattern (and a timeout, as bfly's p.recv(matcher, { timeout })):
%% the same receive every time, its handler's result is the selected value.
recv(Noise, Iters) ->
    Self = self(),
    [Self ! {noise, I} || I <- lists:seq(0, Noise - 1)],
    T0 = now_ns(),
    recv_loop(Self, 0, Iters),
    Ns = now_ns() - T0,
    [receive M -> check(M =:= {noise, I}, recv_noise) end || I <- lists:seq(0, Noise - 1)],
    {message_queue_len, 0} = erlang:process_info(Self, message_queue_len),
    Ns / Iters / 1.0e3.

recv_loop(_, N, N) -> ok;
recv_loop(Self, J, N) ->
    Self ! {hit, J},
    R = receive
            {hit, X} when is_integer(X) -> X
        after 5000 -> -1
        end,
    check(R =:= J, recv_hit),
    recv_loop(Self, J + 1, N).
