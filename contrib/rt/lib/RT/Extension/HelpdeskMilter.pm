use strict;
use warnings;
package RT::Extension::HelpdeskMilter;

our $VERSION = '1.0';

# helpdesk-milter's seal (SPEC s.12), the same algorithm as src/lib-mail/seal.c:
# HMAC-SHA256 over, per header listed in h= (Message-ID last),
# "lower-case-name:relaxed-value\r\n", then
# "x-helpdesk-seal:v=1; k=ID; h=LIST\r\n". Relaxed: CR/LF and white space runs
# as one space, trimmed. The X-Helpdesk-* headers present (the seal aside)
# must be exactly those listed (the milter's verify-seal also checks their
# order; RT's header store does not keep it).

use Digest::SHA qw(hmac_sha256);
use MIME::Base64 qw(decode_base64);

sub _relaxed {
    my $v = shift // '';
    $v =~ s/[ \t\r\n]+/ /g;
    $v =~ s/^ //;
    $v =~ s/ $//;
    return $v;
}

# Header text -> list of [name, unfolded value], in order.
sub _headers {
    my $text = shift // '';
    my @h;
    for my $line (split /\r?\n/, $text) {
        last if $line eq '';
        if ($line =~ /^[ \t]/ && @h) { $h[-1][1] .= " $line"; next; }
        push @h, [$1, $2] if $line =~ /^([^:\s]+)[ \t]*:(.*)$/;
    }
    return @h;
}

# The key secret for an id: %HelpdeskMilterSealKeys maps ids to files.
sub _key {
    my $id = shift;
    my $keys = RT->Config->Get('HelpdeskMilterSealKeys') || {};
    my $file = $keys->{$id} or return undef;
    open(my $fh, '<', $file) or do { RT->Logger->error("HelpdeskMilter: cannot read $file: $!"); return undef };
    local $/;
    my $secret = <$fh>;
    close $fh;
    $secret =~ s/[\r\n]+\z//;
    return length($secret) >= 16 ? $secret : undef;
}

# Verify the seal of a header block. Returns a hash of the sealed
# X-Helpdesk-* values (name => value, first instance) or undef with a reason.
sub Verify {
    my ($class, $header_text) = @_;
    my @h = _headers($header_text);
    my @seals = grep { lc $_->[0] eq 'x-helpdesk-seal' } @h;
    return (undef, 'no seal') unless @seals;
    return (undef, 'more than one seal') if @seals > 1;
    my %tag;
    for my $part (split /;/, $seals[0][1]) {
        $tag{$1} = _relaxed($2) if $part =~ /^\s*([a-z])=(.*)$/s;
    }
    return (undef, 'malformed seal')
        unless ($tag{v} // '') eq '1' && $tag{k} && $tag{h} && $tag{s};
    my @listed = grep { length } split /:/, $tag{h};
    return (undef, 'h= does not end with Message-ID')
        unless @listed && lc($listed[-1]) eq 'message-id';
    pop @listed;
    # RT's attachment store does not keep the order of different header
    # names, so every listed stamp must be present exactly as often as
    # listed (same-name stamps in their order) and no other stamp may be.
    my %by_name;
    push @{ $by_name{ lc $_->[0] } }, $_
        for grep { $_->[0] =~ /^x-helpdesk-/i && lc $_->[0] ne 'x-helpdesk-seal' } @h;
    my @signed;
    for my $name (@listed) {
        my $next = shift @{ $by_name{ lc $name } || [] };
        return (undef, "stamp $name removed after sealing") unless $next;
        push @signed, $next;
    }
    return (undef, 'stamps added after sealing') if grep { @$_ } values %by_name;
    my $secret = _key($tag{k}) or return (undef, "unknown seal key '$tag{k}'");
    my ($mid) = grep { lc $_->[0] eq 'message-id' } @h;
    my $text = '';
    $text .= lc($listed[$_]) . ':' . _relaxed($signed[$_][1]) . "\r\n" for 0 .. $#listed;
    $text .= 'message-id:' . _relaxed($mid ? $mid->[1] : '') . "\r\n";
    $text .= 'x-helpdesk-seal:' . _relaxed("v=$tag{v}; k=$tag{k}; h=$tag{h}") . "\r\n";
    my $want = hmac_sha256($text, $secret);
    my $given = decode_base64($tag{s});
    my $diff = length($given) == length($want) ? 0 : 1;
    $diff |= ord(substr($want, $_, 1)) ^ ord(substr($given, $_, 1)) for 0 .. length($want) - 1;
    return (undef, 'seal does not match') if $diff;
    my %values;
    for (@signed) { $values{$_->[0]} //= _relaxed($_->[1]) }
    return (\%values, 'good');
}

=head1 NAME

RT-Extension-HelpdeskMilter - take priority, due date and custom fields from
helpdesk-milter's sealed X-Helpdesk-* headers

=head1 INSTALLATION

    perl Makefile.PL && make && make install
    make initdb      # once: adds the action and the two global scrips

In RT_SiteConfig.pm:

    Plugin('RT::Extension::HelpdeskMilter');
    Set(%HelpdeskMilterSealKeys, k1 => '/etc/helpdesk-milter/seal.key');
    Set(%HelpdeskMilterCustomFields,
        'X-Helpdesk-Team' => 'Helpdesk Team', 'X-Helpdesk-Priority' => 'Helpdesk Priority',
        'X-Helpdesk-Ticket' => 'Helpdesk Ticket');

An unsealed message, or one whose seal does not verify, changes nothing.

=cut

1;
