package layers

import (
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/netkit-dev/netkit"

// layer is a package's level: a package may import packages of its own
// level or below, never above.
type layer int

const (
	buildingBlock layer = iota // protocol and transport pieces that know no service
	service                    // what netkit serves and runs: echo, chat, JSON-RPC, load
	command                    // internal/cli: flags, output, exit statuses
	program                    // main packages: cmd/netkit and the bench tools
)

func (l layer) String() string {
	return [...]string{"building block", "service", "command", "program"}[l]
}

// layers places every package of the module. A new package must be added
// here, which is the moment to decide where it sits.
var layers = map[string]layer{
	"urlparse":           buildingBlock,
	"retry":              buildingBlock,
	"frame":              buildingBlock,
	"stream":             buildingBlock,
	"netclass":           buildingBlock,
	"lifecycle":          buildingBlock,
	"natsbus":            buildingBlock,
	"tcpserver":          buildingBlock,
	"httpclient":         buildingBlock,
	"httpie":             buildingBlock,
	"tlsconf":            buildingBlock,
	"internal/pretty":    buildingBlock,
	"internal/procstat":  buildingBlock,
	"internal/buildinfo": buildingBlock,
	"internal/config":    buildingBlock,
	"internal/ratelog":   buildingBlock,
	"internal/testnet":   buildingBlock,
	"internal/testnats":  buildingBlock,
	"internal/layers":    buildingBlock,
	"echo":               service,
	"chat":               service,
	"jsonrpc":            service,
	"rpcdemo":            service,
	"chat/natshub":       service,
	"loadgen":            service,
	"loadpool":           service,
	"admin":              service,
	"web":                service,
	"internal/cli":       command,
	"cmd/netkit":         program,
	"bench/*":            program,
}

func layerOf(pkg string) (layer, bool) {
	if l, ok := layers[pkg]; ok {
		return l, true
	}
	for pattern, l := range layers {
		if ok, _ := path.Match(pattern, pkg); ok {
			return l, true
		}
		if strings.HasSuffix(pattern, "/*") && strings.HasPrefix(pkg, strings.TrimSuffix(pattern, "*")) {
			return l, true
		}
	}
	return 0, false
}

// TestImportsFlowDown checks every package's imports, tests' included,
// against the layers, and that only the command layer imports cobra.
func TestImportsFlowDown(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH: cannot list the module's packages")
	}
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}|{{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}`, module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var problems []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkgPath, imports, _ := strings.Cut(line, "|")
		pkg := strings.TrimPrefix(strings.TrimPrefix(pkgPath, module), "/")
		from, ok := layerOf(pkg)
		if !ok {
			problems = append(problems, pkg+": not placed in a layer (add it to layers)")
			continue
		}
		for _, imp := range strings.Fields(imports) {
			if strings.HasPrefix(imp, "github.com/spf13/cobra") && from != command {
				problems = append(problems, pkg+" imports cobra: only internal/cli may")
			}
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			dep := strings.TrimPrefix(imp, module+"/")
			to, ok := layerOf(dep)
			if ok && to > from {
				problems = append(problems, pkg+" ("+from.String()+") imports "+dep+" ("+to.String()+")")
			}
		}
	}
	slices.Sort(problems)
	for _, p := range slices.Compact(problems) {
		t.Error(p)
	}
}

// TestServicesDoNotImportWeb: the web listener reaches chat and JSON-RPC
// through their public APIs, never the other way round, directly or
// through another package, tests included: a browser is one more kind of
// client, and those services must build and run without it.
func TestServicesDoNotImportWeb(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH: cannot list the module's packages")
	}
	for _, pkg := range []string{"chat/...", "jsonrpc/..."} {
		out, err := exec.Command("go", "list", "-test", "-deps", "-f", `{{.ImportPath}}`, module+"/"+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, dep := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			// A test variant is listed as "PKG [PKG.test]".
			dep, _, _ = strings.Cut(dep, " ")
			if dep == module+"/web" || strings.HasPrefix(dep, module+"/web/") {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
}
